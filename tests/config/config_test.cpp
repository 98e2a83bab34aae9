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

TEST_CASE("the intake's authentication keys: defaults, values, and require = none warned") {
  auto def = config::ParseConfig("[intake]\nallowed_forwarders = [\"@acme.example\"]\n", "d.toml");
  REQUIRE(def.ok());
  CHECK(def->intake_require == "dmarc");
  CHECK(def->trusted_authserv_ids.empty());
  CHECK(def->intake_max_message_bytes == 64 << 20);
  CHECK(def->warnings.empty());
  auto cfg = config::ParseConfig(
      "alert_command_env = [\"PAGER_URL\"]\n"
      "[intake]\ntrusted_authserv_ids = [\"mx.google.com\"]\nrequire = \"dkim\"\n"
      "max_message_mib = 8\n"
      "[[account]]\nname = \"a\"\naccess_token_command = \"x\"\n"
      "access_token_command_env = [\"VAULT_ADDR\"]\n",
      "d.toml");
  REQUIRE(cfg.ok());
  CHECK(cfg->trusted_authserv_ids == std::vector<std::string>{"mx.google.com"});
  CHECK(cfg->intake_require == "dkim");
  CHECK(cfg->intake_max_message_bytes == 8 << 20);
  CHECK(cfg->alert_command_env == std::vector<std::string>{"PAGER_URL"});
  CHECK(cfg->accounts[0].access_token_command_env == std::vector<std::string>{"VAULT_ADDR"});
  auto none = config::ParseConfig("[intake]\nrequire = \"none\"\n", "d.toml");
  REQUIRE(none.ok());
  REQUIRE(none->warnings.size() == 1);
  CHECK_THAT(none->warnings[0], Catch::Contains("From: header alone"));
  auto bad = config::ParseConfig("[intake]\nrequire = \"spf\"\n", "d.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("intake.require = \"spf\""));
}
