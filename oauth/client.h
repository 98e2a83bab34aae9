// engine::RefreshToken and the device authorization grant (RFC 8628):
// OAuth2 against a configurable token endpoint over cpp-httplib with
// verified TLS. Plain functions, one HTTP request each (RunDeviceFlow loops);
// caching, single-flight and storing rotated tokens belong to the caller.
//
// SECRETS: no error, description or log line produced here contains a
// refresh token, access token, device code or client secret. Server texts
// (error_description) are kept, with any of those values masked, because
// they carry the AADSTS codes operators search for.
//
// Thread-safety: every function is reentrant (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "util/result.h"

namespace oauth {

struct OAuthEndpoints {
  std::string token;        // https://... (http:// only for loopback hosts)
  std::string device_code;  // RFC 8628 device authorization endpoint
  std::string ca_file;      // extra CA bundle, trusted besides the system's
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{15000};
  std::chrono::milliseconds read_timeout{15000};  // also used for writes
};

// microsoft: https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
// and .../devicecode (tenant "common" when empty); google:
// https://oauth2.googleapis.com/token and .../device/code; custom: empty
// URLs, which the caller must fill from the config.
OAuthEndpoints DefaultEndpoints(config::Provider provider, std::string_view tenant);
// microsoft: "https://outlook.office.com/IMAP.AccessAsUser.All offline_access";
// google: "https://mail.google.com/"; custom: "".
std::string DefaultScope(config::Provider provider);

// OK for https:// URLs, and for http:// ones whose host is 127.0.0.1, ::1
// or localhost; kInvalidArgument (naming the URL) otherwise.
util::Status CheckEndpointUrl(std::string_view url);

struct TokenResponse {
  std::string access_token;
  std::string refresh_token;    // empty when the server did not rotate it
  std::int64_t expires_in = 0;  // seconds; 0 when the server did not say
  std::string scope;
  std::string id_token;  // OpenID Connect: present when "openid" was in the scope
};

// Values are stable (logged, recorded in outages): never renumber.
enum class OAuthErrorClass {
  // invalid_grant (AADSTS700082 inactivity, 50173 revoked after a password
  // change, 70008 / 70000 expired or revoked), interaction_required,
  // consent_required, login_required: only a new interactive sign-in helps.
  kExpired = 0,
  // invalid_client / unauthorized_client, or AADSTS7000222 / 7000215 /
  // 700016: the app registration (client secret) is at fault, not the user.
  kInvalidClient = 1,
  // HTTP 429 / 5xx, temporarily_unavailable, timeouts, refused or reset
  // connections, TLS handshake I/O: retry later (see retry_after).
  kTransient = 2,
  // The server certificate did not verify (or the CA file did not load):
  // final until the operator fixes the trust setup.
  kTls = 3,
  // An unparseable answer, 2xx without access_token, any other 4xx, or a
  // bad endpoint URL.
  kProtocol = 4,
};

const char* OAuthErrorClassName(OAuthErrorClass c);  // "expired", "invalid_client", ...

struct OAuthError {
  OAuthErrorClass cls = OAuthErrorClass::kProtocol;
  std::string error;        // the OAuth "error" code, e.g. "invalid_grant"; may be empty
  std::string description;  // error_description (one line, secrets masked) or transport detail
  std::string aadsts;       // e.g. "AADSTS700082", from error_codes or the description
  int http_status = 0;      // 0 when no HTTP answer arrived
  std::optional<std::chrono::seconds> retry_after;  // from a Retry-After header

  bool IsExpired() const { return cls == OAuthErrorClass::kExpired; }
  bool IsTransient() const { return cls == OAuthErrorClass::kTransient; }
  // One line for logs and outage causes, e.g.
  // "invalid_grant (HTTP 400, AADSTS700082): AADSTS700082: The refresh token has expired..."
  std::string Summary() const;
  // kExpired -> kAuthRejected (message: Summary()); kInvalidClient ->
  // kAuthRejected with the message prefixed "invalid_client: ";
  // kTransient -> kTransient; kTls -> kTls; kProtocol -> kProtocol.
  util::Status ToStatus() const;
};

// Exactly one of: `ok` holds the tokens, or `error` says what failed.
struct OAuthResult {
  std::optional<TokenResponse> ok;
  OAuthError error;  // meaningful only when !ok
};

// grant_type=refresh_token. `client_secret` may be empty (public client);
// `scope` may be empty (then not sent). A success with an empty
// refresh_token means the old one stays valid; a non-empty one must be
// stored (atomically) before the access token is used.
OAuthResult RefreshToken(const OAuthEndpoints& endpoints, const std::string& client_id,
                         const std::string& client_secret, const std::string& refresh_token,
                         const std::string& scope, const HttpOptions& http = {});

// ---- Device authorization grant (RFC 8628) -------------------------------

inline constexpr std::chrono::seconds kMaxDeviceCodeWait{30 * 60};  // Google's 1800 s
inline constexpr std::chrono::seconds kMaxDevicePollInterval{60};

struct DeviceCode {
  std::string device_code;  // secret: never shown or logged
  std::string user_code;
  std::string verification_uri;           // Google calls it verification_url
  std::string verification_uri_complete;  // may be empty
  std::int64_t expires_in = 0;            // seconds
  std::int64_t interval = 5;              // seconds between polls
  // Both as the provider sent them, capped: expires_in at kMaxDeviceCodeWait,
  // interval (and every slow_down or Retry-After) at kMaxDevicePollInterval.
  std::string message;  // Microsoft's ready-made instruction, may be empty
};
struct DeviceCodeResult {
  std::optional<DeviceCode> ok;
  OAuthError error;  // meaningful only when !ok
};

DeviceCodeResult StartDeviceFlow(const OAuthEndpoints& endpoints, const std::string& client_id,
                                 const std::string& scope, const HttpOptions& http = {});

enum class DevicePollState {
  kSuccess = 0,   // tokens filled
  kPending = 1,   // authorization_pending: poll again after the interval
  kSlowDown = 2,  // slow_down: add 5 s to the interval, then poll again
  kExpired = 3,   // expired_token: the user did not sign in in time
  kDenied = 4,    // access_denied: the user declined
  kError = 5,     // anything else: see error
};

struct DevicePollResult {
  DevicePollState state = DevicePollState::kError;
  TokenResponse tokens;  // kSuccess only
  OAuthError error;      // every other state: the server's answer or the failure
};

// grant_type=urn:ietf:params:oauth:grant-type:device_code.
DevicePollResult PollDeviceToken(const OAuthEndpoints& endpoints, const std::string& client_id,
                                 const std::string& client_secret, const std::string& device_code,
                                 const HttpOptions& http = {});

struct DeviceFlowResult {
  bool ok = false;                                  // state == kSuccess
  DevicePollState state = DevicePollState::kError;  // kSuccess, kExpired, kDenied or kError
  std::optional<TokenResponse> tokens;              // when ok
  // One line for the operator, empty when ok: "the user denied access",
  // "the code expired before the user signed in", or "the device sign-in
  // failed: <cause summary>". Never holds a token or the device code.
  std::string error;
  OAuthError cause;  // kError: the failure (StartDeviceFlow's or a poll's); else the last answer

  // OK when ok; kDenied / kExpired -> kAuthRejected(error); kError ->
  // cause.ToStatus()'s code with `error` as the message.
  util::Status ToStatus() const;
};

// Starts the flow, calls show(code) once, then polls: sleep(interval), poll,
// with interval += 5 s on every slow_down; transient poll failures are
// retried (after their Retry-After when longer than the interval). Gives up
// with kExpired once the sum of the sleeps would pass the code's expires_in,
// so a fake `sleep` makes the whole flow instant in tests.
DeviceFlowResult RunDeviceFlow(const OAuthEndpoints& endpoints, const std::string& client_id,
                               const std::string& client_secret, const std::string& scope,
                               const std::function<void(const DeviceCode&)>& show,
                               const std::function<void(std::chrono::seconds)>& sleep,
                               const HttpOptions& http = {});

// ---- Authorization code grant with PKCE (RFC 6749 4.1, RFC 7636) ----------

// grant_type=authorization_code with the PKCE code_verifier. Same error
// classes as RefreshToken.
OAuthResult ExchangeAuthorizationCode(const OAuthEndpoints& endpoints, const std::string& client_id,
                                      const std::string& client_secret, const std::string& code,
                                      const std::string& redirect_uri,
                                      const std::string& code_verifier,
                                      const HttpOptions& http = {});

// "microsoft": https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize;
// "google": https://accounts.google.com/o/oauth2/v2/auth; else "".
std::string DefaultAuthorizeEndpoint(std::string_view provider, std::string_view tenant);

// PKCE S256: BASE64URL(SHA-256(verifier)) without padding (RFC 7636 4.2).
std::string PkceChallengeS256(const std::string& verifier);

// Who signed in, from an ID token's payload: preferred_username (Microsoft
// v2), else upn (Microsoft v1), else email (Google). The token came straight
// from the token endpoint over verified TLS, so its signature is not checked
// (OpenID Connect Core 3.1.3.7 point 6 allows this). "" when none decodes.
std::string IdTokenIdentity(const std::string& id_token);

// ---- Pure pieces, exposed for tests ----------------------------------------

// application/x-www-form-urlencoded: every byte but ALPHA / DIGIT / "-._~"
// becomes %XX; pairs are joined with '&'.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

// Retry-After: delta-seconds or an HTTP-date (relative to `now`, never
// negative); nullopt when unparseable.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now);

// Classifies a token endpoint answer. `secrets` are masked out of any text
// kept in the error. REQUIRES: the answer is not a success.
OAuthError ClassifyTokenError(int http_status, std::string_view body,
                              std::string_view retry_after_header,
                              const std::vector<std::string>& secrets);

}  // namespace oauth
