// The console's pure pieces and its state expiry, on a real store and a
// real HTTP server (cpp-httplib on loopback) with a fake clock.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <regex>

#include "admin/console.h"
#include "admin/security.h"
#include "oauth/client.h"
#include "oauth/reauth.h"
#include "tests/support/temp_store.h"

TEST_CASE("PKCE S256 matches RFC 7636 appendix B") {
  CHECK(oauth::PkceChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("the signed-in identity comes from the ID token's claims") {
  // {"alg":"none"}.{"preferred_username":"Support@Example.com","email":"x@y"}.
  const std::string pu =
      "eyJhbGciOiJub25lIn0.eyJwcmVmZXJyZWRfdXNlcm5hbWUiOiJTdXBwb3J0QEV4YW1wbGUuY29tIiwiZW1haWwi"
      "OiJ4QHkifQ.";
  CHECK(oauth::IdTokenIdentity(pu) == "Support@Example.com");
  // {"alg":"none"}.{"email":"g@example.com"}: Google names the user by email.
  CHECK(oauth::IdTokenIdentity("eyJhbGciOiJub25lIn0.eyJlbWFpbCI6ImdAZXhhbXBsZS5jb20ifQ.") ==
        "g@example.com");
  CHECK(oauth::IdTokenIdentity("not a jwt").empty());
  CHECK(oauth::IdTokenIdentity("a.%%%.c").empty());
  config::AccountConfig a;
  a.address = "support@example.com";
  CHECK(oauth::IdentityMatches(a, "Support@Example.com"));
  CHECK_FALSE(oauth::IdentityMatches(a, "intruder@example.com"));
  CHECK_FALSE(oauth::IdentityMatches(a, ""));
}

TEST_CASE("console passwords: scrypt hashes verify, others do not") {
  const std::string h = admin::HashPassword("correct horse battery");
  CHECK(h.rfind("scrypt$32768$8$1$", 0) == 0);
  CHECK(admin::VerifyPassword("correct horse battery", h));
  CHECK_FALSE(admin::VerifyPassword("correct horse batterY", h));
  CHECK_FALSE(admin::VerifyPassword("x", "scrypt$3$8$1$AAAA$BBBB"));
  CHECK_FALSE(admin::PasswordHashParses("plain-text-password"));
}

TEST_CASE("off loopback the console needs a password or an API token") {
  config::Config c;
  CHECK(admin::CheckAdminConfig(c).ok());
  c.admin_bind = "0.0.0.0";
  CHECK(admin::CheckAdminConfig(c).code() == util::Code::kInvalidArgument);
  c.admin_password_hash = admin::HashPassword("a long password");
  CHECK(admin::CheckAdminConfig(c).ok());
  c.admin_password_hash = "not-a-hash";
  CHECK_FALSE(admin::CheckAdminConfig(c).ok());
  CHECK(admin::IsLoopbackBind("127.0.0.1"));
  CHECK(admin::IsLoopbackBind("::1"));
  CHECK_FALSE(admin::IsLoopbackBind("192.168.1.4"));
}

TEST_CASE("an authorization state older than 10 minutes is refused") {
  test_support::TempStore ts("deskmail-admin");
  config::Config cfg;
  config::AccountConfig a;
  a.name = "a";
  a.address = "support@example.com";
  a.provider = config::Provider::kCustom;
  a.client_id = "client";
  a.authorize_endpoint = "http://127.0.0.1:9/authorize";
  a.token_endpoint = "http://127.0.0.1:9/token";
  cfg.accounts.push_back(a);
  auto box = store::SecretBox::Load(ts.dir);
  REQUIRE(box.ok());
  util::FakeClock clock(1800000000);
  admin::ConsoleOptions opts;
  opts.port = 0;
  auto console = admin::Console::Start(
      cfg, *ts.st, std::make_shared<const store::SecretBox>(std::move(box).value()), clock, opts);
  REQUIRE(console.ok());
  httplib::Client http("127.0.0.1", (*console)->port());
  auto edit = http.Get("/emails/a");
  REQUIRE(edit);
  REQUIRE(edit->status == 200);
  std::string cookie = edit->get_header_value("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  std::smatch m;
  REQUIRE(std::regex_search(edit->body, m, std::regex("name=\"csrf\" value=\"([^\"]+)\"")));
  httplib::Headers h = {{"Cookie", cookie}};
  auto start =
      http.Post("/emails/a/reauth", h, "csrf=" + m[1].str(), "application/x-www-form-urlencoded");
  REQUIRE(start);
  REQUIRE(start->status == 303);
  const std::string loc = start->get_header_value("Location");
  REQUIRE(std::regex_search(loc, m, std::regex("[?&]state=([^&]+)")));
  const std::string state = m[1].str();
  clock.AdvanceSeconds(601);
  auto late = http.Get(("/oauth/complete?code=x&state=" + state).c_str(), h);
  REQUIRE(late);
  CHECK(late->status == 400);
  CHECK_THAT(late->body, Catch::Contains("longer than 10 minutes"));
  // And it was single-use even so.
  auto again = http.Get(("/oauth/complete?code=x&state=" + state).c_str(), h);
  REQUIRE(again);
  CHECK_THAT(again->body, Catch::Contains("already used"));
}
