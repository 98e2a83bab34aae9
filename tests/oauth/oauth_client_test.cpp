// oauth::RefreshToken and the device flow against a real HTTPS identity
// provider on loopback (tests/support/idp_server.h), plus the pure pieces
// (form encoding, Retry-After, error classification) as tables.
#include "oauth/client.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "tests/support/idp_server.h"

namespace {

using oauth::DevicePollState;
using oauth::OAuthErrorClass;
using test_support::CannedResponse;
using test_support::DeviceFlowScript;
using test_support::IdpServer;
using test_support::OAuthErrorResponse;
using namespace std::chrono_literals;

constexpr const char* kScope = "https://outlook.office.com/IMAP.AccessAsUser.All offline_access";
constexpr const char* kUser = "support@example.com";
const std::string kToken = "rt-SECRET-0001";

oauth::OAuthEndpoints Endpoints(const IdpServer& idp) {
  return {idp.token_url(), idp.device_code_url(), idp.ca_file()};
}

oauth::HttpOptions Fast() {
  oauth::HttpOptions h;
  h.connect_timeout = 2s;
  h.read_timeout = 2s;
  return h;
}

// No token, secret or device code may appear in anything we show.
void RequireNoSecret(const oauth::OAuthError& e, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    INFO("secret " << s);
    CHECK_THAT(e.Summary(), !Catch::Contains(s));
    CHECK_THAT(e.ToStatus().message(), !Catch::Contains(s));
    CHECK_THAT(e.description, !Catch::Contains(s));
  }
}

oauth::OAuthResult Refresh(const IdpServer& idp, const std::string& token,
                           const std::string& secret = "") {
  return oauth::RefreshToken(Endpoints(idp), idp.client_id(), secret, token, kScope, Fast());
}

// ---- pure pieces ------------------------------------------------------------

TEST_CASE("oauth: form fields are percent-encoded", "[oauth]") {
  const std::vector<std::pair<std::vector<std::pair<std::string, std::string>>, std::string>>
      cases = {
          {{{"a", "b"}}, "a=b"},
          {{{"a", "b"}, {"c", "d"}}, "a=b&c=d"},
          {{{"t", "x+y/z=w&v u%"}}, "t=x%2By%2Fz%3Dw%26v%20u%25"},
          {{{"scope", kScope}},
           "scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All%20offline_access"},
          {{{"k", "-._~AZaz09"}}, "k=-._~AZaz09"},
          {{{"u", "\xc3\xa9\x01"}}, "u=%C3%A9%01"},
          {{{"e", ""}}, "e="},
      };
  for (const auto& [fields, want] : cases) CHECK(oauth::FormEncode(fields) == want);
}

TEST_CASE("oauth: Retry-After takes seconds or an HTTP-date", "[oauth]") {
  const auto now = std::chrono::system_clock::from_time_t(1700000000);  // 2023-11-14T22:13:20Z
  CHECK(oauth::ParseRetryAfter("7", now) == 7s);
  CHECK(oauth::ParseRetryAfter(" 120 ", now) == 120s);
  CHECK(oauth::ParseRetryAfter("0", now) == 0s);
  CHECK(oauth::ParseRetryAfter("Tue, 14 Nov 2023 22:14:00 GMT", now) == 40s);
  CHECK(oauth::ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0s);  // past
  CHECK_FALSE(oauth::ParseRetryAfter("", now).has_value());
  CHECK_FALSE(oauth::ParseRetryAfter("-5", now).has_value());
  CHECK_FALSE(oauth::ParseRetryAfter("soon", now).has_value());
  CHECK_FALSE(oauth::ParseRetryAfter("Tue, 14 Nov 2023 22:14:00 GMT junk", now).has_value());
}

TEST_CASE("oauth: endpoint URLs: https anywhere, http only on loopback", "[oauth]") {
  for (const char* ok : {"https://login.microsoftonline.com/common/oauth2/v2.0/token",
                         "https://127.0.0.1:8443/token", "http://127.0.0.1:8080/token",
                         "http://localhost/token", "http://[::1]:9/t"}) {
    INFO(ok);
    CHECK(oauth::CheckEndpointUrl(ok).ok());
  }
  for (const char* bad : {"http://login.example.com/token", "http://10.0.0.1/token", "ftp://x/y",
                          "login.example.com/token", "", "https://", "https://h:99999/t",
                          "https://user@h/t", "http://127.0.0.1.evil.example/t"}) {
    INFO(bad);
    CHECK(oauth::CheckEndpointUrl(bad).code() == util::Code::kInvalidArgument);
  }
}

TEST_CASE("oauth: provider defaults", "[oauth]") {
  auto ms = oauth::DefaultEndpoints(config::Provider::kMicrosoft, "contoso.onmicrosoft.com");
  CHECK(ms.token == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
  CHECK(ms.device_code ==
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode");
  CHECK(oauth::DefaultEndpoints(config::Provider::kMicrosoft, "").token ==
        "https://login.microsoftonline.com/common/oauth2/v2.0/token");
  auto g = oauth::DefaultEndpoints(config::Provider::kGoogle, "ignored");
  CHECK(g.token == "https://oauth2.googleapis.com/token");
  CHECK(g.device_code == "https://oauth2.googleapis.com/device/code");
  CHECK(oauth::DefaultEndpoints(config::Provider::kCustom, "x").token.empty());
  CHECK(oauth::DefaultScope(config::Provider::kMicrosoft) == kScope);
  CHECK(oauth::DefaultScope(config::Provider::kGoogle) == "https://mail.google.com/");
  CHECK(oauth::DefaultScope(config::Provider::kCustom).empty());
}

TEST_CASE("oauth: token errors are classified from status and body", "[oauth]") {
  struct Case {
    int status;
    std::string body;
    OAuthErrorClass cls;
    std::string error;
    std::string aadsts;
  };
  auto err = [](const std::string& e, const std::string& d, int code = 0) {
    return OAuthErrorResponse(400, e, d, code).body;
  };
  const std::vector<Case> cases = {
      {400, err("invalid_grant", "AADSTS700082: The refresh token has expired", 700082),
       OAuthErrorClass::kExpired, "invalid_grant", "AADSTS700082"},
      {400, err("invalid_grant", "AADSTS50173: The provided grant has expired"),
       OAuthErrorClass::kExpired, "invalid_grant", "AADSTS50173"},
      {400, err("invalid_grant", "AADSTS70008: expired", 70008), OAuthErrorClass::kExpired,
       "invalid_grant", "AADSTS70008"},
      {400, err("invalid_grant", "AADSTS70000: The provided grant is invalid", 70000),
       OAuthErrorClass::kExpired, "invalid_grant", "AADSTS70000"},
      {400, err("interaction_required", "AADSTS50076: MFA required", 50076),
       OAuthErrorClass::kExpired, "interaction_required", "AADSTS50076"},
      {400, err("consent_required", "AADSTS65001: consent"), OAuthErrorClass::kExpired,
       "consent_required", "AADSTS65001"},
      {401,
       err("invalid_client", "AADSTS7000222: The provided client secret keys are expired", 7000222),
       OAuthErrorClass::kInvalidClient, "invalid_client", "AADSTS7000222"},
      {400, err("unauthorized_client", "AADSTS700016: app not found", 700016),
       OAuthErrorClass::kInvalidClient, "unauthorized_client", "AADSTS700016"},
      // The AADSTS code alone marks the app registration as the culprit.
      {400, err("invalid_request", "AADSTS7000215: Invalid client secret provided."),
       OAuthErrorClass::kInvalidClient, "invalid_request", "AADSTS7000215"},
      {429, err("", ""), OAuthErrorClass::kTransient, "", ""},
      {500, "<html>oops</html>", OAuthErrorClass::kTransient, "", ""},
      {503, "", OAuthErrorClass::kTransient, "", ""},
      {400, err("temporarily_unavailable", "busy"), OAuthErrorClass::kTransient,
       "temporarily_unavailable", ""},
      {400, err("invalid_scope", "AADSTS70011: bad scope", 70011), OAuthErrorClass::kProtocol,
       "invalid_scope", "AADSTS70011"},
      {404, "not found", OAuthErrorClass::kProtocol, "", ""},
      {401, "", OAuthErrorClass::kProtocol, "", ""},
  };
  for (const Case& c : cases) {
    INFO(c.status << " " << c.body);
    oauth::OAuthError e = oauth::ClassifyTokenError(c.status, c.body, "", {});
    CHECK(e.cls == c.cls);
    CHECK(e.error == c.error);
    CHECK(e.aadsts == c.aadsts);
    CHECK(e.http_status == c.status);
    CHECK(e.IsExpired() == (c.cls == OAuthErrorClass::kExpired));
  }
}

TEST_CASE("oauth: ToStatus maps classes to codes, invalid_client with its own prefix", "[oauth]") {
  auto status = [](int http, const std::string& e, const std::string& d, int code) {
    return oauth::ClassifyTokenError(http, OAuthErrorResponse(http, e, d, code).body, "", {})
        .ToStatus();
  };
  util::Status expired = status(400, "invalid_grant", "AADSTS700082: inactive", 700082);
  CHECK(expired.code() == util::Code::kAuthRejected);
  CHECK_THAT(expired.message(), Catch::StartsWith("invalid_grant (HTTP 400, AADSTS700082)"));
  util::Status client = status(401, "invalid_client", "AADSTS7000222: secret expired", 7000222);
  CHECK(client.code() == util::Code::kAuthRejected);
  CHECK_THAT(client.message(), Catch::StartsWith("invalid_client: "));
  CHECK_THAT(client.message(), Catch::Contains("AADSTS7000222"));
  CHECK_THAT(expired.message(), !Catch::StartsWith("invalid_client:"));
  CHECK(status(503, "", "", 0).code() == util::Code::kTransient);
  CHECK(status(400, "invalid_scope", "", 0).code() == util::Code::kProtocol);
}

TEST_CASE("oauth: server text echoing a secret is masked and kept on one line", "[oauth]") {
  const std::string body =
      OAuthErrorResponse(400, "invalid_grant",
                         "AADSTS70000: token " + kToken + " is bad\r\nTrace ID: 1\r\nsecret s3cr3t",
                         70000)
          .body;
  oauth::OAuthError e = oauth::ClassifyTokenError(400, body, "", {kToken, "s3cr3t"});
  RequireNoSecret(e, {kToken, "s3cr3t"});
  CHECK(e.description == "AADSTS70000: token [redacted] is bad Trace ID: 1 secret [redacted]");
  const std::string long_body =
      OAuthErrorResponse(400, "invalid_grant", std::string(5000, 'x'), 0).body;
  CHECK(oauth::ClassifyTokenError(400, long_body, "", {}).description.size() < 500);
}

// ---- refresh against the loopback identity provider ---------------------------

TEST_CASE("oauth: refresh succeeds and the rotated token is the one that works next",
          "[oauth][idp]") {
  IdpServer idp;
  idp.SetValidRefreshToken(kUser, kToken);
  oauth::OAuthResult first = Refresh(idp, kToken);
  REQUIRE(first.ok);
  CHECK(first.ok->access_token == "at-" + std::string(kUser) + "-1");
  CHECK(first.ok->expires_in == 3600);
  CHECK_FALSE(first.ok->refresh_token.empty());
  CHECK(first.ok->refresh_token != kToken);
  CHECK(first.ok->refresh_token == idp.CurrentRefreshToken(kUser));

  // The old token is dead now; the rotated one works and rotates again.
  oauth::OAuthResult stale = Refresh(idp, kToken);
  REQUIRE_FALSE(stale.ok);
  CHECK(stale.error.cls == OAuthErrorClass::kExpired);
  RequireNoSecret(stale.error, {kToken});
  oauth::OAuthResult second = Refresh(idp, first.ok->refresh_token);
  REQUIRE(second.ok);
  CHECK(second.ok->refresh_token != first.ok->refresh_token);

  auto reqs = idp.requests_to("/token");
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].content_type == "application/x-www-form-urlencoded");
  CHECK(reqs[0].form.at("grant_type") == "refresh_token");
  CHECK(reqs[0].form.at("client_id") == idp.client_id());
  CHECK(reqs[0].form.at("refresh_token") == kToken);
  CHECK(reqs[0].form.at("scope") == kScope);
  CHECK(reqs[0].form.count("client_secret") == 0);
  CHECK(reqs[2].form.at("refresh_token") == first.ok->refresh_token);
}

TEST_CASE("oauth: refresh without rotation returns no refresh token", "[oauth][idp]") {
  IdpServer idp;
  idp.SetRotation(false);
  idp.SetExpiresIn(1234);
  idp.SetAccessTokenMinter([](const std::string& user) { return "jwt-for-" + user; });
  idp.SetValidRefreshToken(kUser, kToken);
  for (int i = 0; i < 2; ++i) {
    oauth::OAuthResult r = Refresh(idp, kToken);
    REQUIRE(r.ok);
    CHECK(r.ok->refresh_token.empty());
    CHECK(r.ok->access_token == "jwt-for-" + std::string(kUser));
    CHECK(r.ok->expires_in == 1234);
  }
}

TEST_CASE("oauth: a confidential client sends its secret, and a wrong one is invalid_client",
          "[oauth][idp]") {
  IdpServer idp;
  idp.SetClient("app-1", "client-s3cret");
  idp.SetValidRefreshToken(kUser, kToken);
  REQUIRE(Refresh(idp, kToken, "client-s3cret").ok);
  CHECK(idp.requests_to("/token").at(0).form.at("client_secret") == "client-s3cret");
  oauth::OAuthResult bad = Refresh(idp, idp.CurrentRefreshToken(kUser), "wrong-s3cret");
  REQUIRE_FALSE(bad.ok);
  CHECK(bad.error.cls == OAuthErrorClass::kInvalidClient);
  CHECK(bad.error.aadsts == "AADSTS7000215");
  CHECK(bad.error.http_status == 401);
  RequireNoSecret(bad.error, {"wrong-s3cret", "client-s3cret", idp.CurrentRefreshToken(kUser)});
}

TEST_CASE("oauth: a token with + / = & and spaces arrives intact", "[oauth][idp]") {
  IdpServer idp;
  const std::string odd = "0.AR+x/y==&z w%41;\xc3\xa9";
  idp.SetValidRefreshToken(kUser, odd);
  oauth::OAuthResult r = Refresh(idp, odd);
  REQUIRE(r.ok);
  CHECK(idp.requests_to("/token").at(0).form.at("refresh_token") == odd);
}

TEST_CASE("oauth: a revoked user gets invalid_grant with the AADSTS code", "[oauth][idp]") {
  for (int code : {700082, 50173, 70008}) {
    IdpServer idp;
    idp.SetValidRefreshToken(kUser, kToken);
    idp.RevokeUser(kUser, code);
    oauth::OAuthResult r = Refresh(idp, kToken);
    REQUIRE_FALSE(r.ok);
    CHECK(r.error.cls == OAuthErrorClass::kExpired);
    CHECK(r.error.error == "invalid_grant");
    CHECK(r.error.aadsts == "AADSTS" + std::to_string(code));
    CHECK(r.error.http_status == 400);
    CHECK(r.error.ToStatus().code() == util::Code::kAuthRejected);
    RequireNoSecret(r.error, {kToken});
  }
}

TEST_CASE("oauth: scripted answers map to every error class", "[oauth][idp]") {
  struct Case {
    CannedResponse response;
    OAuthErrorClass cls;
    std::string aadsts;
    std::optional<std::chrono::seconds> retry_after;
  };
  CannedResponse throttled = OAuthErrorResponse(429, "", "", 0);
  throttled.headers = {{"Retry-After", "7"}};
  CannedResponse unavailable{503, "", {{"Retry-After", "30"}}, {}};
  const std::vector<Case> cases = {
      {OAuthErrorResponse(400, "invalid_grant", "AADSTS700082: inactive", 700082),
       OAuthErrorClass::kExpired, "AADSTS700082", std::nullopt},
      {OAuthErrorResponse(400, "invalid_grant", "AADSTS50173: password changed", 50173),
       OAuthErrorClass::kExpired, "AADSTS50173", std::nullopt},
      {OAuthErrorResponse(400, "invalid_grant", "AADSTS70008: expired", 70008),
       OAuthErrorClass::kExpired, "AADSTS70008", std::nullopt},
      {OAuthErrorResponse(400, "interaction_required", "AADSTS50079: enrol MFA", 50079),
       OAuthErrorClass::kExpired, "AADSTS50079", std::nullopt},
      {OAuthErrorResponse(401, "invalid_client", "AADSTS7000222: client secret expired", 7000222),
       OAuthErrorClass::kInvalidClient, "AADSTS7000222", std::nullopt},
      {throttled, OAuthErrorClass::kTransient, "", 7s},
      {CannedResponse{500, "{}", {}, {}}, OAuthErrorClass::kTransient, "", std::nullopt},
      {unavailable, OAuthErrorClass::kTransient, "", 30s},
      {CannedResponse{200, "garbage, not json", {}, {}}, OAuthErrorClass::kProtocol, "",
       std::nullopt},
      {CannedResponse{200, R"({"token_type":"Bearer"})", {}, {}}, OAuthErrorClass::kProtocol, "",
       std::nullopt},
      {CannedResponse{200, R"({"access_token": 5})", {}, {}}, OAuthErrorClass::kProtocol, "",
       std::nullopt},
      {OAuthErrorResponse(400, "invalid_request", "AADSTS900144: missing scope", 900144),
       OAuthErrorClass::kProtocol, "AADSTS900144", std::nullopt},
  };
  IdpServer idp;
  for (const Case& c : cases) idp.ScriptToken(c.response);
  for (const Case& c : cases) {
    INFO(c.response.status << " " << c.response.body);
    oauth::OAuthResult r = Refresh(idp, kToken, "client-s3cret");
    REQUIRE_FALSE(r.ok);
    CHECK(r.error.cls == c.cls);
    CHECK(r.error.aadsts == c.aadsts);
    CHECK(r.error.http_status == c.response.status);
    CHECK(r.error.retry_after == c.retry_after);
    RequireNoSecret(r.error, {kToken, "client-s3cret"});
  }
}

TEST_CASE("oauth: a server that accepts but never answers is transient", "[oauth][idp]") {
  test_support::SilentServer silent;
  oauth::HttpOptions h;
  h.connect_timeout = 300ms;
  h.read_timeout = 300ms;
  for (const std::string scheme : {"https", "http"}) {
    oauth::OAuthEndpoints ep{scheme + "://127.0.0.1:" + std::to_string(silent.port()) + "/token",
                             "", ""};
    const auto start = std::chrono::steady_clock::now();
    oauth::OAuthResult r = oauth::RefreshToken(ep, "app", "", kToken, kScope, h);
    const auto took = std::chrono::steady_clock::now() - start;
    INFO(scheme);
    REQUIRE_FALSE(r.ok);
    CHECK(r.error.cls == OAuthErrorClass::kTransient);
    CHECK(r.error.http_status == 0);
    CHECK(took < 5s);  // the timeout applied, not the 15 s default
    RequireNoSecret(r.error, {kToken});
  }
}

TEST_CASE("oauth: a refused connection is transient", "[oauth]") {
  oauth::OAuthEndpoints ep{
      "https://127.0.0.1:" + std::to_string(test_support::UnusedLoopbackPort()) + "/token", "", ""};
  oauth::OAuthResult r = oauth::RefreshToken(ep, "app", "", kToken, kScope, Fast());
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.cls == OAuthErrorClass::kTransient);
  CHECK_THAT(r.error.description, Catch::Contains("cannot connect"));
  CHECK(r.error.ToStatus().code() == util::Code::kTransient);
}

TEST_CASE("oauth: an untrusted server certificate is a TLS failure", "[oauth][idp]") {
  IdpServer idp;
  idp.SetValidRefreshToken(kUser, kToken);
  oauth::OAuthEndpoints ep = Endpoints(idp);
  ep.ca_file.clear();  // only the system CAs: the test cert is unknown
  oauth::OAuthResult r = oauth::RefreshToken(ep, idp.client_id(), "", kToken, kScope, Fast());
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.cls == OAuthErrorClass::kTls);
  CHECK_THAT(r.error.description, Catch::Contains("certificate verification failed"));
  CHECK(r.error.ToStatus().code() == util::Code::kTls);
  CHECK(idp.requests().empty());  // the token never left the process
  // A CA file that does not exist is a TLS setup error too.
  ep.ca_file = "/nonexistent/ca.pem";
  CHECK(oauth::RefreshToken(ep, idp.client_id(), "", kToken, kScope, Fast()).error.cls ==
        OAuthErrorClass::kTls);
}

TEST_CASE("oauth: plain http to a non-loopback host is refused before any I/O", "[oauth]") {
  oauth::OAuthEndpoints ep{"http://login.example.com/token", "", ""};
  oauth::OAuthResult r = oauth::RefreshToken(ep, "app", "", kToken, kScope, Fast());
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.cls == OAuthErrorClass::kProtocol);
  CHECK_THAT(r.error.description, Catch::Contains("only allowed for loopback"));
}

// ---- device flow ----------------------------------------------------------------

struct FlowRun {
  oauth::DeviceFlowResult result;
  std::vector<std::chrono::seconds> sleeps;
  std::vector<oauth::DeviceCode> shown;
};

FlowRun RunFlow(const IdpServer& idp) {
  FlowRun run;
  run.result = oauth::RunDeviceFlow(
      Endpoints(idp), idp.client_id(), "", kScope,
      [&](const oauth::DeviceCode& c) { run.shown.push_back(c); },
      [&](std::chrono::seconds s) { run.sleeps.push_back(s); }, Fast());
  return run;
}

TEST_CASE("oauth: device flow honours pending and slow_down, then succeeds", "[oauth][idp]") {
  IdpServer idp;
  idp.ScriptDeviceFlow({/*pending=*/2, /*slow_down=*/1, DeviceFlowScript::End::kSuccess, kUser});
  FlowRun run = RunFlow(idp);
  REQUIRE(run.result.ok);
  REQUIRE(run.result.tokens.has_value());
  CHECK(run.result.tokens->refresh_token == idp.CurrentRefreshToken(kUser));
  CHECK_FALSE(run.result.tokens->access_token.empty());
  CHECK(run.sleeps == std::vector<std::chrono::seconds>{5s, 5s, 5s, 10s});
  REQUIRE(run.shown.size() == 1);
  CHECK(run.shown[0].verification_uri == idp.base_url() + "/device");
  CHECK_THAT(run.shown[0].user_code, Catch::StartsWith("CODE-"));
  CHECK_THAT(run.shown[0].message, Catch::Contains(run.shown[0].user_code));
  CHECK(run.result.ToStatus().ok());

  auto start = idp.requests_to("/devicecode");
  REQUIRE(start.size() == 1);
  CHECK(start[0].form.at("client_id") == idp.client_id());
  CHECK(start[0].form.at("scope") == kScope);
  auto polls = idp.requests_to("/token");
  REQUIRE(polls.size() == 4);
  for (const auto& p : polls) {
    CHECK(p.form.at("grant_type") == "urn:ietf:params:oauth:grant-type:device_code");
    CHECK(p.form.at("device_code") == run.shown[0].device_code);
  }
  // The new refresh token works for the next refresh.
  CHECK(Refresh(idp, run.result.tokens->refresh_token).ok);
}

TEST_CASE("oauth: device flow ends on access_denied and expired_token", "[oauth][idp]") {
  struct Case {
    DeviceFlowScript::End end;
    DevicePollState state;
    std::string message;
  };
  for (const Case& c :
       {Case{DeviceFlowScript::End::kDenied, DevicePollState::kDenied, "the user denied access"},
        Case{DeviceFlowScript::End::kExpired, DevicePollState::kExpired,
             "the code expired before the user signed in"}}) {
    IdpServer idp;
    idp.ScriptDeviceFlow({1, 0, c.end, kUser});
    FlowRun run = RunFlow(idp);
    CHECK(run.result.state == c.state);
    CHECK_FALSE(run.result.tokens.has_value());
    CHECK(run.result.error == c.message);
    util::Status s = run.result.ToStatus();
    CHECK(s.code() == util::Code::kAuthRejected);
    CHECK(s.message() == c.message);
    CHECK(run.sleeps.size() == 2);
    REQUIRE(run.shown.size() == 1);
    CHECK_THAT(s.message(), !Catch::Contains(run.shown[0].device_code));
  }
}

TEST_CASE("oauth: device flow gives up when the code's lifetime runs out", "[oauth][idp]") {
  IdpServer idp;
  DeviceFlowScript script;
  script.pending = 1000;
  script.expires_in = 22;
  script.interval = 5;
  idp.ScriptDeviceFlow(script);
  FlowRun run = RunFlow(idp);
  CHECK(run.result.state == DevicePollState::kExpired);
  CHECK(run.result.error == "the code expired before the user signed in");
  CHECK(run.sleeps == std::vector<std::chrono::seconds>{5s, 5s, 5s, 5s});
  CHECK(idp.requests_to("/token").size() == 4);
}

TEST_CASE("oauth: device flow rides out a transient poll failure, honouring Retry-After",
          "[oauth][idp]") {
  IdpServer idp;
  idp.ScriptDeviceFlow({1, 0, DeviceFlowScript::End::kSuccess, kUser});
  // The first poll meets a 503 with Retry-After: 12; the IdP's own script
  // then answers pending once and success.
  idp.ScriptToken(CannedResponse{503, "", {{"Retry-After", "12"}}, {}});
  FlowRun run = RunFlow(idp);
  REQUIRE(run.result.ok);
  CHECK(run.sleeps == std::vector<std::chrono::seconds>{5s, 12s, 5s});
}

TEST_CASE("oauth: device flow stops on a final poll error", "[oauth][idp]") {
  IdpServer idp;
  idp.ScriptToken(
      OAuthErrorResponse(401, "invalid_client", "AADSTS7000222: client secret expired", 7000222));
  FlowRun run = RunFlow(idp);
  CHECK(run.result.state == DevicePollState::kError);
  CHECK(run.result.cause.cls == OAuthErrorClass::kInvalidClient);
  CHECK_THAT(run.result.ToStatus().message(), Catch::Contains("invalid_client: "));
  CHECK(run.sleeps.size() == 1);
}

TEST_CASE("oauth: device code answers: Google's verification_url, and bad answers",
          "[oauth][idp]") {
  IdpServer idp;
  idp.ScriptDeviceCode(CannedResponse{200,
                                      R"({"device_code":"dc-g","user_code":"GQVQ-JKEC",
                                          "verification_url":"https://www.google.com/device",
                                          "expires_in":"1800","interval":0})",
                                      {},
                                      {}});
  idp.ScriptDeviceCode(CannedResponse{200, R"({"user_code":"X"})", {}, {}});
  idp.ScriptDeviceCode(OAuthErrorResponse(400, "invalid_scope", "AADSTS70011: bad", 70011));
  auto g = oauth::StartDeviceFlow(Endpoints(idp), idp.client_id(), kScope, Fast());
  REQUIRE(g.ok);
  CHECK(g.ok->verification_uri == "https://www.google.com/device");
  CHECK(g.ok->user_code == "GQVQ-JKEC");
  CHECK(g.ok->expires_in == 1800);
  CHECK(g.ok->interval == 5);  // 0 is not a usable interval
  auto incomplete = oauth::StartDeviceFlow(Endpoints(idp), idp.client_id(), kScope, Fast());
  REQUIRE_FALSE(incomplete.ok);
  CHECK(incomplete.error.cls == OAuthErrorClass::kProtocol);
  auto refused = oauth::StartDeviceFlow(Endpoints(idp), idp.client_id(), kScope, Fast());
  REQUIRE_FALSE(refused.ok);
  CHECK(refused.error.aadsts == "AADSTS70011");
}

TEST_CASE("oauth: single device polls report each state", "[oauth][idp]") {
  IdpServer idp;
  const std::vector<std::pair<CannedResponse, DevicePollState>> cases = {
      {OAuthErrorResponse(400, "authorization_pending", "wait"), DevicePollState::kPending},
      {OAuthErrorResponse(400, "slow_down", "slower"), DevicePollState::kSlowDown},
      {OAuthErrorResponse(400, "expired_token", "gone"), DevicePollState::kExpired},
      {OAuthErrorResponse(400, "access_denied", "no"), DevicePollState::kDenied},
      {OAuthErrorResponse(400, "authorization_declined", "no"), DevicePollState::kDenied},
      {OAuthErrorResponse(400, "bad_verification_code", "?"), DevicePollState::kError},
      {CannedResponse{200, R"({"access_token":"at","refresh_token":"rt","expires_in":60})", {}, {}},
       DevicePollState::kSuccess},
  };
  for (const auto& [resp, state] : cases) idp.ScriptToken(resp);
  for (const auto& [resp, state] : cases) {
    INFO(resp.body);
    oauth::DevicePollResult p =
        oauth::PollDeviceToken(Endpoints(idp), idp.client_id(), "", "dc-SECRET-9", Fast());
    CHECK(p.state == state);
    if (state == DevicePollState::kSuccess) {
      CHECK(p.tokens.refresh_token == "rt");
      CHECK(p.tokens.expires_in == 60);
    } else {
      RequireNoSecret(p.error, {"dc-SECRET-9"});
    }
  }
}

}  // namespace

// Issue 15: a provider's numbers do not set how long reauth waits.
TEST_CASE("oauth: device flow caps the provider's expires_in and poll interval", "[oauth][idp]") {
  IdpServer idp;
  DeviceFlowScript s;
  s.pending = 3;
  s.slow_down = 2;
  s.end = DeviceFlowScript::End::kSuccess;
  s.user = kUser;
  s.interval = 3600;          // "poll once an hour"
  s.expires_in = 30 * 86400;  // "the code is valid for a month"
  idp.ScriptDeviceFlow(s);
  FlowRun run = RunFlow(idp);
  REQUIRE(run.shown.size() == 1);
  CHECK(run.shown[0].interval == oauth::kMaxDevicePollInterval.count());
  CHECK(run.shown[0].expires_in == oauth::kMaxDeviceCodeWait.count());
  REQUIRE(run.result.ok);
  for (auto w : run.sleeps) CHECK(w <= oauth::kMaxDevicePollInterval);  // slow_down included
  // A wait that would pass the cap ends the flow instead of sleeping on.
  IdpServer slow;
  DeviceFlowScript forever = s;
  forever.pending = 1000;
  slow.ScriptDeviceFlow(forever);
  FlowRun gave_up = RunFlow(slow);
  CHECK_FALSE(gave_up.result.ok);
  CHECK(gave_up.result.state == DevicePollState::kExpired);
  std::chrono::seconds total{0};
  for (auto w : gave_up.sleeps) total += w;
  CHECK(total <= oauth::kMaxDeviceCodeWait);
}

// Issue 15: the host name is checked against the subjectAltNames only.
TEST_CASE("oauth: a certificate whose CN but no SAN names the host is refused", "[oauth][idp]") {
  // CN=127.0.0.1, SAN names another host: cpp-httplib alone would accept
  // it on the CN; OpenSSL's SAN-only check refuses it.
  IdpServer idp("127.0.0.1", "DNS:other.example");
  idp.SetValidRefreshToken(kUser, kToken);
  oauth::OAuthResult r =
      oauth::RefreshToken(Endpoints(idp), idp.client_id(), "", kToken, kScope, Fast());
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.cls == OAuthErrorClass::kTls);
  CHECK(idp.requests().empty());  // the token never left the process
  // The same certificate naming the host in its SAN is fine.
  IdpServer good("not-the-host", "IP:127.0.0.1");
  good.SetValidRefreshToken(kUser, kToken);
  CHECK(oauth::RefreshToken(Endpoints(good), good.client_id(), "", kToken, kScope, Fast()).ok);
}
