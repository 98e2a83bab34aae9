#include "oauth/client.h"

#include <openssl/sha.h>

#include <time.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "oauth/http.h"
#include "util/base64url.h"

namespace oauth {
namespace {

using http::HttpReply;
using http::PostForm;

using json = nlohmann::json;

constexpr std::string_view kDeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";
constexpr std::size_t kMaxDescription = 400;
constexpr const char* kCodeExpired = "the code expired before the user signed in";

// One line, bounded, with every secret masked: server text is echoed into
// logs and outage records.
std::string CleanText(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    if (s.empty()) continue;
    for (std::size_t at = text.find(s); at != std::string::npos; at = text.find(s, at)) {
      text.replace(at, s.size(), "[redacted]");
    }
  }
  for (char& c : text) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  std::string out;
  for (char c : text) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > kMaxDescription) {
    std::size_t cut = kMaxDescription;
    // Do not split a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "...";
  }
  return out;
}

OAuthError MakeError(OAuthErrorClass cls, std::string description, int http_status = 0) {
  OAuthError e;
  e.cls = cls;
  e.description = std::move(description);
  e.http_status = http_status;
  return e;
}

std::string StrField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Numbers arrive as JSON numbers or (some servers) as strings.
std::optional<std::int64_t> IntField(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_float()) return static_cast<std::int64_t>(it->get<double>());
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    if (s.empty() || s.size() > 15 || s.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    return std::stoll(s);
  }
  return std::nullopt;
}

std::string FindAadsts(const json& body, std::string_view description) {
  if (body.is_object()) {
    auto it = body.find("error_codes");
    if (it != body.end() && it->is_array() && !it->empty() && (*it)[0].is_number_unsigned()) {
      return "AADSTS" + std::to_string((*it)[0].get<std::uint64_t>());
    }
  }
  const std::size_t at = description.find("AADSTS");
  if (at == std::string_view::npos) return {};
  std::size_t end = at + 6;
  while (end < description.size() && description[end] >= '0' && description[end] <= '9') ++end;
  return end > at + 6 ? std::string(description.substr(at, end - at)) : std::string();
}

bool Is2xx(int status) { return status >= 200 && status < 300; }

template <class R>
R Failed(OAuthError e) {
  R r;
  r.error = std::move(e);
  return r;
}

// A 2xx token answer: the tokens, or kProtocol.
OAuthResult ParseTokens(const HttpReply& reply, const std::string& url) {
  json body = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Failed<OAuthResult>(MakeError(
        OAuthErrorClass::kProtocol,
        url + " answered HTTP " + std::to_string(reply.status) + " without JSON", reply.status));
  }
  TokenResponse t;
  t.access_token = StrField(body, "access_token");
  if (t.access_token.empty()) {
    return Failed<OAuthResult>(MakeError(
        OAuthErrorClass::kProtocol,
        url + " answered HTTP " + std::to_string(reply.status) + " without an access_token",
        reply.status));
  }
  t.refresh_token = StrField(body, "refresh_token");
  t.expires_in = IntField(body, "expires_in").value_or(0);
  t.scope = StrField(body, "scope");
  t.id_token = StrField(body, "id_token");
  OAuthResult out;
  out.ok = std::move(t);
  return out;
}

}  // namespace

const char* OAuthErrorClassName(OAuthErrorClass c) {
  switch (c) {
    case OAuthErrorClass::kExpired:
      return "expired";
    case OAuthErrorClass::kInvalidClient:
      return "invalid_client";
    case OAuthErrorClass::kTransient:
      return "transient";
    case OAuthErrorClass::kTls:
      return "tls";
    case OAuthErrorClass::kProtocol:
      return "protocol";
  }
  return "unknown";
}

std::string OAuthError::Summary() const {
  std::string s = error.empty() ? std::string(OAuthErrorClassName(cls)) : error;
  std::string tags;
  if (http_status != 0) tags = "HTTP " + std::to_string(http_status);
  if (!aadsts.empty()) tags += (tags.empty() ? "" : ", ") + aadsts;
  if (retry_after) {
    tags +=
        (tags.empty() ? "" : ", ") + ("retry after " + std::to_string(retry_after->count()) + " s");
  }
  if (!tags.empty()) s += " (" + tags + ")";
  if (!description.empty()) s += ": " + description;
  return s;
}

util::Status OAuthError::ToStatus() const {
  switch (cls) {
    case OAuthErrorClass::kExpired:
      return util::Error(util::Code::kAuthRejected, Summary());
    case OAuthErrorClass::kInvalidClient:
      return util::Error(util::Code::kAuthRejected, "invalid_client: " + Summary());
    case OAuthErrorClass::kTransient:
      return util::Error(util::Code::kTransient, Summary());
    case OAuthErrorClass::kTls:
      return util::Error(util::Code::kTls, Summary());
    case OAuthErrorClass::kProtocol:
      break;
  }
  return util::Error(util::Code::kProtocol, Summary());
}

OAuthEndpoints DefaultEndpoints(config::Provider provider, std::string_view tenant) {
  OAuthEndpoints e;
  if (provider == config::Provider::kMicrosoft) {
    const std::string base = "https://login.microsoftonline.com/" +
                             std::string(tenant.empty() ? "common" : tenant) + "/oauth2/v2.0/";
    e.token = base + "token";
    e.device_code = base + "devicecode";
  } else if (provider == config::Provider::kGoogle) {
    e.token = "https://oauth2.googleapis.com/token";
    e.device_code = "https://oauth2.googleapis.com/device/code";
  }
  return e;
}

std::string DefaultScope(config::Provider provider) {
  if (provider == config::Provider::kMicrosoft)
    return "https://outlook.office.com/IMAP.AccessAsUser.All offline_access";
  if (provider == config::Provider::kGoogle) return "https://mail.google.com/";
  return {};
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 9) return std::chrono::seconds(999999999);
    return std::chrono::seconds(std::stoll(std::string(value)));
  }
  std::tm tm{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  const auto delta = std::chrono::duration_cast<std::chrono::seconds>(at - now);
  return std::max(delta, std::chrono::seconds(0));
}

OAuthError ClassifyTokenError(int http_status, std::string_view body_text,
                              std::string_view retry_after_header,
                              const std::vector<std::string>& secrets) {
  OAuthError e;
  e.http_status = http_status;
  if (!retry_after_header.empty()) {
    e.retry_after = ParseRetryAfter(retry_after_header, std::chrono::system_clock::now());
  }
  json body = json::parse(body_text, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    e.error = CleanText(StrField(body, "error"), secrets);
    e.description = CleanText(StrField(body, "error_description"), secrets);
  }
  e.aadsts = FindAadsts(body, e.description);
  static const std::vector<std::string_view> kClientCodes = {"AADSTS7000222", "AADSTS7000215",
                                                             "AADSTS700016"};
  const bool client_code =
      std::find(kClientCodes.begin(), kClientCodes.end(), e.aadsts) != kClientCodes.end();
  if (http_status == 429 || http_status == 408 || http_status >= 500 ||
      e.error == "temporarily_unavailable") {
    e.cls = OAuthErrorClass::kTransient;
  } else if (e.error == "invalid_client" || e.error == "unauthorized_client" || client_code) {
    e.cls = OAuthErrorClass::kInvalidClient;
  } else if (e.error == "invalid_grant" || e.error == "interaction_required" ||
             e.error == "consent_required" || e.error == "login_required") {
    e.cls = OAuthErrorClass::kExpired;
  } else {
    e.cls = OAuthErrorClass::kProtocol;
    if (e.error.empty() && e.description.empty()) {
      e.description = body.is_object()
                          ? "HTTP " + std::to_string(http_status) + " without an error code"
                          : "HTTP " + std::to_string(http_status) + " without JSON";
    }
  }
  return e;
}

OAuthResult RefreshToken(const OAuthEndpoints& endpoints, const std::string& client_id,
                         const std::string& client_secret, const std::string& refresh_token,
                         const std::string& scope, const HttpOptions& http) {
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "refresh_token"}, {"client_id", client_id}, {"refresh_token", refresh_token}};
  if (!scope.empty()) form.emplace_back("scope", scope);
  if (!client_secret.empty()) form.emplace_back("client_secret", client_secret);
  auto reply = PostForm(endpoints.token, endpoints.ca_file, form, http);
  if (auto* err = std::get_if<OAuthError>(&reply)) return Failed<OAuthResult>(*err);
  const HttpReply& r = std::get<HttpReply>(reply);
  if (Is2xx(r.status)) return ParseTokens(r, endpoints.token);
  return Failed<OAuthResult>(
      ClassifyTokenError(r.status, r.body, r.retry_after, {refresh_token, client_secret}));
}

OAuthResult ExchangeAuthorizationCode(const OAuthEndpoints& endpoints, const std::string& client_id,
                                      const std::string& client_secret, const std::string& code,
                                      const std::string& redirect_uri,
                                      const std::string& code_verifier, const HttpOptions& http) {
  std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "authorization_code"},
                                                           {"client_id", client_id},
                                                           {"code", code},
                                                           {"redirect_uri", redirect_uri},
                                                           {"code_verifier", code_verifier}};
  if (!client_secret.empty()) form.emplace_back("client_secret", client_secret);
  auto reply = PostForm(endpoints.token, endpoints.ca_file, form, http);
  if (auto* err = std::get_if<OAuthError>(&reply)) return Failed<OAuthResult>(*err);
  const HttpReply& r = std::get<HttpReply>(reply);
  if (Is2xx(r.status)) return ParseTokens(r, endpoints.token);
  return Failed<OAuthResult>(
      ClassifyTokenError(r.status, r.body, r.retry_after, {code, code_verifier, client_secret}));
}

std::string DefaultAuthorizeEndpoint(std::string_view provider, std::string_view tenant) {
  if (provider == "microsoft") {
    return "https://login.microsoftonline.com/" + std::string(tenant.empty() ? "common" : tenant) +
           "/oauth2/v2.0/authorize";
  }
  if (provider == "google") return "https://accounts.google.com/o/oauth2/v2/auth";
  return "";
}

namespace {}  // namespace

std::string PkceChallengeS256(const std::string& verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  return util::Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string IdTokenIdentity(const std::string& id_token) {
  const auto dot1 = id_token.find('.');
  if (dot1 == std::string::npos) return "";
  const auto dot2 = id_token.find('.', dot1 + 1);
  if (dot2 == std::string::npos) return "";
  auto payload =
      util::Base64UrlDecode(std::string_view(id_token).substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload) return "";
  json claims = json::parse(*payload, nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object()) return "";
  for (const char* key : {"preferred_username", "upn", "email"}) {
    std::string v = StrField(claims, key);
    if (!v.empty()) return v;
  }
  return "";
}

DeviceCodeResult StartDeviceFlow(const OAuthEndpoints& endpoints, const std::string& client_id,
                                 const std::string& scope, const HttpOptions& http) {
  auto reply = PostForm(endpoints.device_code, endpoints.ca_file,
                        {{"client_id", client_id}, {"scope", scope}}, http);
  if (auto* err = std::get_if<OAuthError>(&reply)) return Failed<DeviceCodeResult>(*err);
  const HttpReply& r = std::get<HttpReply>(reply);
  if (!Is2xx(r.status)) {
    return Failed<DeviceCodeResult>(ClassifyTokenError(r.status, r.body, r.retry_after, {}));
  }
  json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  DeviceCode c;
  if (body.is_object()) {
    c.device_code = StrField(body, "device_code");
    c.user_code = StrField(body, "user_code");
    c.verification_uri = StrField(body, "verification_uri");
    if (c.verification_uri.empty()) c.verification_uri = StrField(body, "verification_url");
    c.verification_uri_complete = StrField(body, "verification_uri_complete");
    c.expires_in = IntField(body, "expires_in").value_or(900);
    c.interval = IntField(body, "interval").value_or(5);
    c.message = StrField(body, "message");
  }
  if (c.device_code.empty() || c.user_code.empty() || c.verification_uri.empty()) {
    return Failed<DeviceCodeResult>(
        MakeError(OAuthErrorClass::kProtocol,
                  endpoints.device_code + " answered HTTP " + std::to_string(r.status) +
                      " without device_code, user_code and verification_uri",
                  r.status));
  }
  // The provider's numbers bound how long `reauth` waits: a hostile or
  // broken one must not keep it polling for days, or hammering every 0 s.
  if (c.interval <= 0) c.interval = 5;
  c.interval = std::min<std::int64_t>(c.interval, kMaxDevicePollInterval.count());
  if (c.expires_in <= 0) c.expires_in = 900;
  c.expires_in = std::min<std::int64_t>(c.expires_in, kMaxDeviceCodeWait.count());
  DeviceCodeResult out;
  out.ok = std::move(c);
  return out;
}

DevicePollResult PollDeviceToken(const OAuthEndpoints& endpoints, const std::string& client_id,
                                 const std::string& client_secret, const std::string& device_code,
                                 const HttpOptions& http) {
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", std::string(kDeviceGrant)},
      {"client_id", client_id},
      {"device_code", device_code}};
  if (!client_secret.empty()) form.emplace_back("client_secret", client_secret);
  DevicePollResult out;
  auto reply = PostForm(endpoints.token, endpoints.ca_file, form, http);
  if (auto* err = std::get_if<OAuthError>(&reply)) {
    out.error = *err;
    return out;
  }
  const HttpReply& r = std::get<HttpReply>(reply);
  if (Is2xx(r.status)) {
    OAuthResult t = ParseTokens(r, endpoints.token);
    if (t.ok) {
      out.state = DevicePollState::kSuccess;
      out.tokens = std::move(*t.ok);
    } else {
      out.error = std::move(t.error);
    }
    return out;
  }
  out.error = ClassifyTokenError(r.status, r.body, r.retry_after, {device_code, client_secret});
  const std::string& code = out.error.error;
  if (code == "authorization_pending") {
    out.state = DevicePollState::kPending;
  } else if (code == "slow_down") {
    out.state = DevicePollState::kSlowDown;
  } else if (code == "expired_token") {
    out.state = DevicePollState::kExpired;
  } else if (code == "access_denied" || code == "authorization_declined") {
    out.state = DevicePollState::kDenied;
  }
  return out;
}

util::Status DeviceFlowResult::ToStatus() const {
  if (ok) return util::Status::Ok();
  if (state == DevicePollState::kExpired || state == DevicePollState::kDenied) {
    return util::Error(util::Code::kAuthRejected, error);
  }
  return util::Error(cause.ToStatus().code(), error);
}

DeviceFlowResult RunDeviceFlow(const OAuthEndpoints& endpoints, const std::string& client_id,
                               const std::string& client_secret, const std::string& scope,
                               const std::function<void(const DeviceCode&)>& show,
                               const std::function<void(std::chrono::seconds)>& sleep,
                               const HttpOptions& http) {
  DeviceFlowResult out;
  DeviceCodeResult code = StartDeviceFlow(endpoints, client_id, scope, http);
  if (!code.ok) {
    out.cause = code.error;
    out.error = "could not start the device sign-in: " + code.error.Summary();
    return out;
  }
  show(*code.ok);
  std::chrono::seconds interval(code.ok->interval);
  std::chrono::seconds wait = interval;
  std::chrono::seconds elapsed(0);
  const std::chrono::seconds expires_in(code.ok->expires_in);
  for (;;) {
    if (elapsed + wait > expires_in) {
      out.state = DevicePollState::kExpired;
      out.error = kCodeExpired;
      return out;
    }
    sleep(wait);
    elapsed += wait;
    wait = interval;
    DevicePollResult poll =
        PollDeviceToken(endpoints, client_id, client_secret, code.ok->device_code, http);
    switch (poll.state) {
      case DevicePollState::kSuccess:
        out.ok = true;
        out.state = DevicePollState::kSuccess;
        out.tokens = std::move(poll.tokens);
        return out;
      case DevicePollState::kPending:
        break;
      case DevicePollState::kSlowDown:
        interval = std::min(interval + std::chrono::seconds(5), kMaxDevicePollInterval);
        wait = interval;
        break;
      case DevicePollState::kExpired:
        out.state = DevicePollState::kExpired;
        out.cause = poll.error;
        out.error = kCodeExpired;
        return out;
      case DevicePollState::kDenied:
        out.state = DevicePollState::kDenied;
        out.cause = poll.error;
        out.error = "the user denied access";
        return out;
      case DevicePollState::kError:
        if (poll.error.IsTransient()) {
          if (poll.error.retry_after) {
            wait = std::min(std::max(wait, *poll.error.retry_after), kMaxDevicePollInterval);
          }
          break;
        }
        out.cause = poll.error;
        out.error = "the device sign-in failed: " + poll.error.ToStatus().message();
        return out;
    }
  }
}

}  // namespace oauth
