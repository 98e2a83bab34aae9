#include "config/config.h"

#include <catch2/catch.hpp>

TEST_CASE("the documented configuration keys are read") {
  const char* text = R"(
data_dir = "/var/lib/deskmail"
[admin]
bind = "127.0.0.1"
port = 8025
[intake]
allowed_forwarders = ["@support.example.com", "lead@example.com"]
forward_max_age_days = 14

[[account]]
name = "support"
address = "support@example.com"
role = "support"
host = "outlook.office365.com"
port = 993
tls = "implicit"
ca_file = ""
username = "support@example.com"
auth = "xoauth2"
provider = "microsoft"
tenant = "common"
client_id = "abc"
token_endpoint = "http://127.0.0.1:9000/token"
folders = ["INBOX", "Escalations"]
poll_interval_s = 30
post_action = "move:Done"
reauth_policy = "rolling"
refresh_token_lifetime_days = 90
alert_days = 7

[[account]]
name = "legacy"
host = "imap.example.net"
tls = "starttls"
port = 143
auth = "password"
username = "legacy@example.net"
password_env = "LEGACY_PW"
)";
  auto cfg = config::ParseConfig(text, "deskmail.toml");
  REQUIRE(cfg.ok());
  CHECK(cfg->data_dir == "/var/lib/deskmail");
  CHECK(cfg->admin_port == 8025);
  CHECK(cfg->allowed_forwarders.size() == 2);
  REQUIRE(cfg->accounts.size() == 2);
  const auto& a = cfg->accounts[0];
  CHECK(a.name == "support");
  CHECK(a.folders == std::vector<std::string>{"INBOX", "Escalations"});
  CHECK(a.poll_interval_s == 30);
  CHECK(a.post_action == "move:Done");
  CHECK(a.reauth_policy == "rolling");
  CHECK(a.alert_days == 7);
  CHECK(a.tls_verify);
  const auto* b = cfg->FindAccount("legacy");
  REQUIRE(b != nullptr);
  CHECK(b->tls == "starttls");
  CHECK(b->password_env == "LEGACY_PW");
  CHECK(b->folders == std::vector<std::string>{"INBOX"});
  CHECK(cfg->warnings.empty());
}

TEST_CASE("bad configuration values are errors that name the key") {
  struct Case {
    const char* text;
    const char* mentions;
  };
  const Case cases[] = {
      {"[[account]]\nname = \"a\"\ntls = \"ssl\"\n", "tls = \"ssl\""},
      {"[[account]]\nname = \"a\"\nport = 99999\n", "port"},
      {"[[account]]\nname = \"a\"\nport = \"993\"\n", "port (line 3)"},
      {"[[account]]\nname = \"a\"\npost_action = \"delete\"\n", "post_action"},
      {"[[account]]\nname = \"a\"\nauth = \"password\"\n", "password_env or password_file"},
      {"[[account]]\nname = \"a\"\n[[account]]\nname = \"a\"\n", "used by another account"},
      {"[[account]]\nhost = \"x\"\n", "name: required"},
      {"data_dir = \n", "deskmail.toml:1"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto cfg = config::ParseConfig(c.text, "deskmail.toml");
    REQUIRE_FALSE(cfg.ok());
    CHECK(cfg.status().code() == util::Code::kInvalidArgument);
    CHECK_THAT(cfg.status().message(), Catch::Contains(c.mentions));
  }
}

TEST_CASE("unknown keys are warnings, not errors") {
  auto cfg =
      config::ParseConfig("colour = \"blue\"\n[[account]]\nname = \"a\"\nhots = \"x\"\n", "f");
  REQUIRE(cfg.ok());
  REQUIRE(cfg->warnings.size() == 2);
  CHECK_THAT(cfg->warnings[0], Catch::Contains("colour"));
  CHECK_THAT(cfg->warnings[1], Catch::Contains("account[0].hots"));
}

TEST_CASE("network timeouts and limits: global keys, per-account overrides, defaults") {
  auto defaults = config::ParseConfig("[[account]]\nname = \"a\"\n", "f");
  REQUIRE(defaults.ok());
  CHECK(defaults->connect_timeout_s == 30);
  CHECK(defaults->read_timeout_s == 120);
  CHECK(defaults->once_deadline_s == 300);
  CHECK(defaults->max_concurrent_logins == 10);
  CHECK(defaults->accounts[0].connect_timeout_s == 30);
  CHECK(defaults->accounts[0].read_timeout_s == 120);

  auto cfg = config::ParseConfig(
      "connect_timeout_s = 5\nread_timeout_s = 40\nonce_deadline_s = 60\n"
      "max_concurrent_logins = 3\n"
      "[[account]]\nname = \"a\"\n"
      "[[account]]\nname = \"b\"\nconnect_timeout_s = 2\nread_timeout_s = 7\n",
      "f");
  REQUIRE(cfg.ok());
  CHECK(cfg->warnings.empty());
  CHECK(cfg->once_deadline_s == 60);
  CHECK(cfg->max_concurrent_logins == 3);
  CHECK(cfg->accounts[0].connect_timeout_s == 5);
  CHECK(cfg->accounts[0].read_timeout_s == 40);
  CHECK(cfg->accounts[1].connect_timeout_s == 2);
  CHECK(cfg->accounts[1].read_timeout_s == 7);

  for (const char* bad :
       {"read_timeout_s = 0\n", "connect_timeout_s = -1\n", "once_deadline_s = 0\n",
        "[[account]]\nname = \"a\"\nread_timeout_s = 0\n"}) {
    INFO(bad);
    CHECK_FALSE(config::ParseConfig(bad, "f").ok());
  }
}
