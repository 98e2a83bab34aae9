#include "tests/support/idp_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>

namespace test_support {
namespace {

using json = nlohmann::json;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};
struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error("IdpServer: " + what); }

std::string RandomHex(int bytes) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    const auto b = static_cast<unsigned>(rng() & 0xff);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// A self-signed P-256 certificate for localhost / 127.0.0.1 / ::1, written
// as PEM to cert_path and key_path.
void MakeCertificate(const std::string& cert_path, const std::string& key_path,
                     const std::string& cn, const std::string& san) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) Fail("EC key generation failed");
  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) Fail("X509_new failed");
  X509* x = cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x),
                   static_cast<long>(std::random_device{}() & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
  X509_set_pubkey(x, key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  const std::pair<int, const char*> exts[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,digitalSignature,keyCertSign"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_key_identifier, "hash"},
      {NID_subject_alt_name, san.c_str()},
  };
  for (const auto& [nid, value] : exts) {
    std::unique_ptr<X509_EXTENSION, ExtFree> ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, const_cast<char*>(value)));
    if (!ext || X509_add_ext(x, ext.get(), -1) != 1) Fail(std::string("extension ") + value);
  }
  if (X509_sign(x, key.get(), EVP_sha256()) == 0) Fail("X509_sign failed");
  {
    std::unique_ptr<FILE, FileClose> f(std::fopen(cert_path.c_str(), "w"));
    if (!f || PEM_write_X509(f.get(), x) != 1) Fail("cannot write " + cert_path);
  }
  std::unique_ptr<FILE, FileClose> f(std::fopen(key_path.c_str(), "w"));
  if (!f || PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    Fail("cannot write " + key_path);
  }
}

const char* AadstsText(int code) {
  switch (code) {
    case 700082:
      return "The refresh token has expired due to inactivity. The token was issued on "
             "2024-01-01T00:00:00Z and was inactive for 90.00:00:00.";
    case 50173:
      return "The provided grant has expired due to it being revoked, a fresh auth token is "
             "needed. The user might have changed or reset their password.";
    case 70008:
      return "The provided authorization code or refresh token has expired due to inactivity. "
             "Send a new interactive authorization request for this user and resource.";
    case 70000:
      return "The provided grant is invalid or malformed.";
    default:
      return "The grant is no longer valid.";
  }
}

CannedResponse Json(int status, const json& body) { return {status, body.dump(), {}, {}}; }

}  // namespace

CannedResponse OAuthErrorResponse(int status, const std::string& error,
                                  const std::string& description, int aadsts) {
  json body = {{"error", error}, {"error_description", description}};
  if (aadsts != 0) body["error_codes"] = {aadsts};
  return Json(status, body);
}

IdpServer::IdpServer(const std::string& cert_cn, const std::string& cert_san) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "deskmail-idp-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) Fail("mkdtemp failed");
  dir_ = tmpl;
  ca_file_ = dir_ + "/cert.pem";
  key_file_ = dir_ + "/key.pem";
  MakeCertificate(ca_file_, key_file_, cert_cn, cert_san);
  server_ = std::make_unique<httplib::SSLServer>(ca_file_.c_str(), key_file_.c_str());
  if (!server_->is_valid()) Fail("SSLServer did not accept the certificate");
  auto serve = [this](bool token) {
    return [this, token](const httplib::Request& req, httplib::Response& res) {
      RecordedRequest rec;
      rec.path = req.path;
      rec.content_type = req.get_header_value("Content-Type");
      rec.body = req.body;
      for (const auto& [k, v] : req.params) rec.form[k] = v;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(rec);
      }
      CannedResponse out = token ? HandleToken(rec) : HandleDeviceCode(rec);
      if (out.delay.count() > 0) std::this_thread::sleep_for(out.delay);
      res.status = out.status;
      for (const auto& [k, v] : out.headers) res.set_header(k, v);
      res.set_content(out.body, "application/json");
    };
  };
  server_->Post("/token", serve(true));
  server_->Post("/devicecode", serve(false));
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) Fail("cannot bind 127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

IdpServer::~IdpServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string IdpServer::base_url() const { return "https://127.0.0.1:" + std::to_string(port_); }
std::string IdpServer::token_url() const { return base_url() + "/token"; }
std::string IdpServer::device_code_url() const { return base_url() + "/devicecode"; }

void IdpServer::ScriptToken(CannedResponse r) {
  std::lock_guard<std::mutex> lock(mu_);
  token_script_.push_back(std::move(r));
}

void IdpServer::ScriptDeviceCode(CannedResponse r) {
  std::lock_guard<std::mutex> lock(mu_);
  device_script_.push_back(std::move(r));
}

void IdpServer::SetClient(const std::string& client_id, const std::string& client_secret) {
  std::lock_guard<std::mutex> lock(mu_);
  client_id_ = client_id;
  client_secret_ = client_secret;
}

void IdpServer::SetValidRefreshToken(const std::string& user, const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  refresh_tokens_[token] = user;
  latest_[user] = token;
  revoked_.erase(user);
}

void IdpServer::SetRotation(bool rotate, bool invalidate_old) {
  std::lock_guard<std::mutex> lock(mu_);
  rotate_ = rotate;
  invalidate_old_ = invalidate_old;
}

void IdpServer::RevokeUser(const std::string& user, int aadsts) {
  std::lock_guard<std::mutex> lock(mu_);
  revoked_[user] = aadsts;
}

std::string IdpServer::CurrentRefreshToken(const std::string& user) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = latest_.find(user);
  return it == latest_.end() ? std::string() : it->second;
}

void IdpServer::SetAccessTokenMinter(std::function<std::string(const std::string&)> mint) {
  std::lock_guard<std::mutex> lock(mu_);
  mint_ = std::move(mint);
}

void IdpServer::SetExpiresIn(std::int64_t seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  expires_in_ = seconds;
}

void IdpServer::ScriptDeviceFlow(DeviceFlowScript script) {
  std::lock_guard<std::mutex> lock(mu_);
  next_device_ = std::move(script);
}

std::vector<RecordedRequest> IdpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<RecordedRequest> IdpServer::requests_to(const std::string& path) const {
  std::vector<RecordedRequest> out;
  for (RecordedRequest& r : requests()) {
    if (r.path == path) out.push_back(std::move(r));
  }
  return out;
}

void IdpServer::ClearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

CannedResponse IdpServer::IssueTokens(const std::string& user, bool interactive) {
  ++serial_;
  if (interactive) {
    // A new sign-in replaces every earlier grant of this user.
    std::erase_if(refresh_tokens_, [&](const auto& kv) { return kv.second == user; });
    latest_.erase(user);
  }
  json body = {
      {"token_type", "Bearer"},
      {"expires_in", expires_in_},
      {"access_token", mint_ ? mint_(user) : "at-" + user + "-" + std::to_string(serial_)}};
  if (rotate_ || latest_.find(user) == latest_.end()) {
    const std::string fresh = "rt-" + std::to_string(serial_) + "-" + RandomHex(12);
    if (invalidate_old_) {
      if (auto it = latest_.find(user); it != latest_.end()) refresh_tokens_.erase(it->second);
    }
    refresh_tokens_[fresh] = user;
    latest_[user] = fresh;
    revoked_.erase(user);
    body["refresh_token"] = fresh;
  }
  return Json(200, body);
}

CannedResponse IdpServer::HandleToken(const RecordedRequest& req) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!token_script_.empty()) {
    CannedResponse r = std::move(token_script_.front());
    token_script_.pop_front();
    return r;
  }
  auto field = [&](const char* k) {
    auto it = req.form.find(k);
    return it == req.form.end() ? std::string() : it->second;
  };
  if (field("client_id") != client_id_) {
    return OAuthErrorResponse(400, "unauthorized_client",
                              "AADSTS700016: Application with identifier '" + field("client_id") +
                                  "' was not found in the directory.",
                              700016);
  }
  if (!client_secret_.empty() && field("client_secret") != client_secret_) {
    return OAuthErrorResponse(401, "invalid_client",
                              "AADSTS7000215: Invalid client secret provided.", 7000215);
  }
  const std::string grant = field("grant_type");
  if (grant == "refresh_token") {
    auto it = refresh_tokens_.find(field("refresh_token"));
    if (it == refresh_tokens_.end()) {
      return OAuthErrorResponse(400, "invalid_grant",
                                "AADSTS70000: " + std::string(AadstsText(70000)), 70000);
    }
    const std::string user = it->second;
    if (auto r = revoked_.find(user); r != revoked_.end()) {
      return OAuthErrorResponse(400, "invalid_grant",
                                "AADSTS" + std::to_string(r->second) + ": " + AadstsText(r->second),
                                r->second);
    }
    return IssueTokens(user, /*interactive=*/false);
  }
  if (grant == "urn:ietf:params:oauth:grant-type:device_code") {
    auto it = device_codes_.find(field("device_code"));
    if (it == device_codes_.end() || it->second.done) {
      return OAuthErrorResponse(400, "bad_verification_code", "The device code is not known.");
    }
    DeviceState& d = it->second;
    ++d.polls;
    if (d.polls <= d.script.pending) {
      return OAuthErrorResponse(400, "authorization_pending", "The user has not yet signed in.");
    }
    if (d.polls <= d.script.pending + d.script.slow_down) {
      return OAuthErrorResponse(400, "slow_down", "Polling too often.");
    }
    d.done = true;
    switch (d.script.end) {
      case DeviceFlowScript::End::kDenied:
        return OAuthErrorResponse(400, "access_denied", "The user declined.");
      case DeviceFlowScript::End::kExpired:
        return OAuthErrorResponse(400, "expired_token", "The device code has expired.");
      case DeviceFlowScript::End::kSuccess:
        break;
    }
    return IssueTokens(d.script.user, /*interactive=*/true);
  }
  return OAuthErrorResponse(400, "unsupported_grant_type",
                            "Unsupported grant_type '" + grant + "'.");
}

CannedResponse IdpServer::HandleDeviceCode(const RecordedRequest& req) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!device_script_.empty()) {
    CannedResponse r = std::move(device_script_.front());
    device_script_.pop_front();
    return r;
  }
  auto it = req.form.find("client_id");
  if (it == req.form.end() || it->second != client_id_) {
    return OAuthErrorResponse(400, "unauthorized_client", "AADSTS700016: unknown application.",
                              700016);
  }
  ++serial_;
  const std::string device_code = "dc-" + std::to_string(serial_) + "-" + RandomHex(16);
  const std::string user_code = "CODE-" + std::to_string(1000 + serial_);
  device_codes_[device_code] = DeviceState{next_device_, 0, false};
  const std::string uri = base_url() + "/device";
  return Json(200, {{"device_code", device_code},
                    {"user_code", user_code},
                    {"verification_uri", uri},
                    {"expires_in", next_device_.expires_in},
                    {"interval", next_device_.interval},
                    {"message", "To sign in, use a web browser to open the page " + uri +
                                    " and enter the code " + user_code + " to authenticate."}});
}

SilentServer::SilentServer() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) Fail("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd_);
    Fail("silent listener failed");
  }
  port_ = ntohs(addr.sin_port);
}

SilentServer::~SilentServer() {
  if (fd_ >= 0) ::close(fd_);
}

int UnusedLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Fail("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) Fail("cannot find a free port");
  return ntohs(addr.sin_port);
}

}  // namespace test_support
