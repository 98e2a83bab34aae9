// The HTTP leg of engine/oauth_client.cpp: URL rules and one form POST
// over cpp-httplib with verified TLS.
#include "oauth/http.h"

// Debian's libcpp-httplib.so is built with OpenSSL support; the header must
// agree with it (engine/CMakeLists.txt also defines this for the target).
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "util/loopback.h"

namespace oauth {
namespace {

OAuthError MakeError(OAuthErrorClass cls, std::string description) {
  OAuthError e;
  e.cls = cls;
  e.description = std::move(description);
  return e;
}

struct Url {
  bool tls = true;
  std::string host;  // without brackets for IPv6 literals
  int port = 0;
  std::string path;  // with the query, "/" when absent
};

std::optional<Url> ParseUrl(std::string_view url) {
  Url u;
  if (url.substr(0, 8) == "https://") {
    url.remove_prefix(8);
  } else if (url.substr(0, 7) == "http://") {
    u.tls = false;
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  u.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no userinfo
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const std::size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return std::nullopt;
  u.port = u.tls ? 443 : 80;
  if (!port.empty()) {
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) return std::nullopt;
      p = p * 10 + (c - '0');
    }
    if (p < 1 || p > 65535) return std::nullopt;
    u.port = p;
  }
  return u;
}

util::Status LoadCaFile(httplib::SSLClient& cli, const std::string& ca_file) {
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr) return util::Error(util::Code::kInternal, "X509_STORE_new failed");
  if (X509_STORE_load_file(store, ca_file.c_str()) != 1 ||
      X509_STORE_set_default_paths(store) != 1) {
    X509_STORE_free(store);
    return util::Error(util::Code::kTls, "cannot load CA file " + ca_file);
  }
  cli.set_ca_cert_store(store);  // takes ownership
  return util::Status::Ok();
}

std::string TransportDetail(httplib::Error err, const httplib::SSLClient* ssl) {
  switch (err) {
    case httplib::Error::Connection:
      return "cannot connect";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::Read:
      return "no answer (read failed or timed out)";
    case httplib::Error::Write:
      return "sending the request failed";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load the CA certificates";
    case httplib::Error::SSLServerVerification: {
      const long rc = ssl != nullptr ? ssl->get_openssl_verify_result() : X509_V_OK;
      if (rc == X509_V_OK) return "TLS certificate does not match the host name";
      return std::string("TLS certificate verification failed: ") +
             X509_verify_cert_error_string(rc);
    }
    default:
      return "HTTP error " + httplib::to_string(err);
  }
}

}  // namespace

util::Status CheckEndpointUrl(std::string_view url) {
  std::optional<Url> u = ParseUrl(url);
  if (!u) {
    return util::Error(util::Code::kInvalidArgument,
                       "endpoint '" + std::string(url) + "' is not an http(s) URL");
  }
  if (!u->tls && !util::IsLoopbackHost(u->host)) {
    return util::Error(util::Code::kInvalidArgument,
                       "endpoint '" + std::string(url) +
                           "': http:// is only allowed for loopback hosts; use https://");
  }
  return util::Status::Ok();
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  auto encode = [&](const std::string& s) {
    for (unsigned char c : s) {
      if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
  };
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    encode(k);
    out += '=';
    encode(v);
  }
  return out;
}
namespace http {

// POSTs a form; an answer of any status is a reply, only transport
// failures are errors.
std::variant<HttpReply, OAuthError> PostForm(
    const std::string& url_text, const std::string& ca_file,
    const std::vector<std::pair<std::string, std::string>>& form, const HttpOptions& http) {
  if (util::Status s = CheckEndpointUrl(url_text); !s.ok()) {
    return MakeError(OAuthErrorClass::kProtocol, s.message());
  }
  const Url url = *ParseUrl(url_text);
  std::unique_ptr<httplib::ClientImpl> cli;
  httplib::SSLClient* ssl = nullptr;
  if (url.tls) {
    auto s = std::make_unique<httplib::SSLClient>(url.host, url.port);
    ssl = s.get();
    s->enable_server_certificate_verification(true);
    // cpp-httplib 0.11 leaves the minimum protocol to OpenSSL and, after
    // the chain check, accepts a host name found in the subject CN even when
    // the certificate has subjectAltNames (verify_host falls back to the
    // CN). OpenSSL checks the name itself, before that, with these:
    // SANs only (RFC 6125: never the CN), no partial wildcards; a mismatch
    // is a verification error (X509_V_ERR_HOSTNAME_MISMATCH).
    SSL_CTX* ctx = s->ssl_context();
    X509_VERIFY_PARAM* param = ctx != nullptr ? SSL_CTX_get0_param(ctx) : nullptr;
    if (ctx == nullptr || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        param == nullptr) {
      return MakeError(OAuthErrorClass::kTls, "POST " + url_text + ": cannot set up TLS");
    }
    X509_VERIFY_PARAM_set_hostflags(
        param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const bool ip = X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str()) == 1;
    if (!ip && X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0) != 1) {
      return MakeError(OAuthErrorClass::kTls, "POST " + url_text + ": cannot set up TLS");
    }
    if (!ca_file.empty()) {
      if (util::Status st = LoadCaFile(*s, ca_file); !st.ok()) {
        return MakeError(OAuthErrorClass::kTls, "POST " + url_text + ": " + st.message());
      }
    }
    cli = std::move(s);
  } else {
    cli = std::make_unique<httplib::ClientImpl>(url.host, url.port);
  }
  const auto ms = [](std::chrono::milliseconds d) {
    const auto v = std::max<std::int64_t>(d.count(), 1);
    return std::pair<time_t, time_t>(v / 1000, (v % 1000) * 1000);
  };
  auto [cs, cus] = ms(http.connect_timeout);
  auto [rs, rus] = ms(http.read_timeout);
  cli->set_connection_timeout(cs, cus);
  cli->set_read_timeout(rs, rus);
  cli->set_write_timeout(rs, rus);
  cli->set_follow_location(false);  // a redirected token request is not retried elsewhere
  httplib::Headers headers = {{"Accept", "application/json"}};
  httplib::Result res =
      cli->Post(url.path, headers, FormEncode(form), "application/x-www-form-urlencoded");
  if (!res) {
    const httplib::Error err = res.error();
    const bool tls =
        err == httplib::Error::SSLServerVerification || err == httplib::Error::SSLLoadingCerts;
    return MakeError(tls ? OAuthErrorClass::kTls : OAuthErrorClass::kTransient,
                     "POST " + url_text + ": " + TransportDetail(err, ssl));
  }
  HttpReply reply;
  reply.status = res->status;
  reply.body = std::move(res->body);
  reply.retry_after = res->get_header_value("Retry-After");
  return reply;
}

}  // namespace http
}  // namespace oauth
