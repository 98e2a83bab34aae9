#include "config/config.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

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
  CHECK(a.post_action == config::PostAction::Move("Done"));
  CHECK(a.reauth_policy == config::ReauthPolicy::kRolling);
  CHECK(a.alert_days == 7);
  CHECK(a.tls_verify);
  const auto* b = cfg->FindAccount("legacy");
  REQUIRE(b != nullptr);
  CHECK(b->tls == config::TlsMode::kStartTls);
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

namespace {

// One account key set to `value` inside a minimal file.
util::Result<config::Config> WithAccountKey(const std::string& key, const std::string& value) {
  return config::ParseConfig(
      "[[account]]\nname = \"a\"\npassword_env = \"P\"\n" + key + " = \"" + value + "\"\n",
      "deskmail.toml");
}

// A bad value names the file, the table, the key, the value and every
// accepted spelling.
void CheckRejected(const std::string& key, const std::string& value, const std::string& allowed) {
  INFO(key << " = " << value);
  auto cfg = key == "log_level"
                 ? config::ParseConfig("log_level = \"" + value + "\"\n", "deskmail.toml")
                 : WithAccountKey(key, value);
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.status().code() == util::Code::kInvalidArgument);
  const std::string where = key == "log_level" ? "deskmail.toml: " : "deskmail.toml: account[0].";
  CHECK(cfg.status().message() == where + key + " = \"" + value + "\": must be one of " + allowed);
}

}  // namespace

TEST_CASE("every enumerated key accepts exactly its documented spellings") {
  using namespace config;
  SECTION("role") {
    CHECK(WithAccountKey("role", "support")->accounts[0].role == Role::kSupport);
    CHECK(WithAccountKey("role", "intake")->accounts[0].role == Role::kIntake);
    CheckRejected("role", "Intake", "support, intake");
    CheckRejected("role", "", "support, intake");
  }
  SECTION("tls") {
    CHECK(WithAccountKey("tls", "implicit")->accounts[0].tls == TlsMode::kImplicit);
    CHECK(WithAccountKey("tls", "starttls")->accounts[0].tls == TlsMode::kStartTls);
    CheckRejected("tls", "ssl", "implicit, starttls");
    CheckRejected("tls", "STARTTLS", "implicit, starttls");
  }
  SECTION("auth") {
    CHECK(WithAccountKey("auth", "xoauth2")->accounts[0].auth == Auth::kXOAuth2);
    CHECK(WithAccountKey("auth", "password")->accounts[0].auth == Auth::kPassword);
    CheckRejected("auth", "oauth2", "xoauth2, password");
  }
  SECTION("provider") {
    CHECK(WithAccountKey("provider", "microsoft")->accounts[0].provider == Provider::kMicrosoft);
    CHECK(WithAccountKey("provider", "google")->accounts[0].provider == Provider::kGoogle);
    CHECK(WithAccountKey("provider", "custom")->accounts[0].provider == Provider::kCustom);
    CheckRejected("provider", "azure", "microsoft, google, custom");
  }
  SECTION("reauth_policy") {
    CHECK(WithAccountKey("reauth_policy", "fixed")->accounts[0].reauth_policy ==
          ReauthPolicy::kFixed);
    CHECK(WithAccountKey("reauth_policy", "rolling")->accounts[0].reauth_policy ==
          ReauthPolicy::kRolling);
    CheckRejected("reauth_policy", "sliding", "fixed, rolling");
  }
  SECTION("post_action") {
    CHECK(WithAccountKey("post_action", "none")->accounts[0].post_action == PostAction::None());
    CHECK(WithAccountKey("post_action", "seen")->accounts[0].post_action == PostAction::Seen());
    auto moved = WithAccountKey("post_action", "move:Archive/2024 Done");
    REQUIRE(moved.ok());
    CHECK(moved->accounts[0].post_action.kind == PostAction::Kind::kMove);
    CHECK(moved->accounts[0].post_action.folder == "Archive/2024 Done");
    CHECK(moved->accounts[0].post_action.WritesFolder());
    CHECK_FALSE(PostAction::None().WritesFolder());
    CheckRejected("post_action", "move:", "none, seen, move:FOLDER");
    CheckRejected("post_action", "delete", "none, seen, move:FOLDER");
    CheckRejected("post_action", "Seen", "none, seen, move:FOLDER");
  }
  SECTION("log_level") {
    const std::pair<const char*, LogLevel> ok[] = {
        {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo},
        {"warn", LogLevel::kWarn},   {"error", LogLevel::kError}, {"off", LogLevel::kOff}};
    for (const auto& [text, level] : ok) {
      auto cfg = ParseConfig(std::string("log_level = \"") + text + "\"\n", "f");
      REQUIRE(cfg.ok());
      CHECK(cfg->log_level == level);
      CHECK(Name(level) == text);
    }
    CheckRejected("log_level", "warning", "trace, debug, info, warn, error, off");
  }
}

TEST_CASE("the typed defaults are the documented ones") {
  auto cfg = config::ParseConfig("[[account]]\nname = \"a\"\n", "f");
  REQUIRE(cfg.ok());
  const auto& a = cfg->accounts[0];
  CHECK(a.role == config::Role::kSupport);
  CHECK(a.tls == config::TlsMode::kImplicit);
  CHECK(a.auth == config::Auth::kXOAuth2);
  CHECK(a.provider == config::Provider::kMicrosoft);
  CHECK(a.post_action == config::PostAction::None());
  CHECK(a.reauth_policy == config::ReauthPolicy::kFixed);
  CHECK(cfg->log_level == config::LogLevel::kInfo);
}

TEST_CASE("Name() spells each value as deskmail.toml does, and parses back") {
  using namespace config;
  for (Role v : {Role::kSupport, Role::kIntake}) CHECK(*ParseRole(Name(v)) == v);
  for (TlsMode v : {TlsMode::kImplicit, TlsMode::kStartTls}) CHECK(*ParseTlsMode(Name(v)) == v);
  for (Auth v : {Auth::kXOAuth2, Auth::kPassword}) CHECK(*ParseAuth(Name(v)) == v);
  for (Provider v : {Provider::kMicrosoft, Provider::kGoogle, Provider::kCustom})
    CHECK(*ParseProvider(Name(v)) == v);
  for (ReauthPolicy v : {ReauthPolicy::kFixed, ReauthPolicy::kRolling})
    CHECK(*ParseReauthPolicy(Name(v)) == v);
  for (const PostAction& v : {PostAction::None(), PostAction::Seen(), PostAction::Move("Done")})
    CHECK(*ParsePostAction(Name(v)) == v);
  CHECK(Name(PostAction::Move("A/B")) == "move:A/B");
  CHECK(Name(Role::kIntake) == "intake");
}

TEST_CASE("a key of the wrong TOML type is reported as such, not as a bad value") {
  auto cfg = config::ParseConfig("[[account]]\nname = \"a\"\nrole = 3\n", "deskmail.toml");
  REQUIRE_FALSE(cfg.ok());
  CHECK_THAT(cfg.status().message(),
             Catch::Contains("account[0].role (line 3): expected a string"));
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

// TOML 1.0 allows non-ASCII text only inside strings and comments. Debian's
// toml++ 3.3 meets a character such as U+0450 outside them in a whitespace
// test that reaches __builtin_unreachable (fuzz/regressions/config/): under
// UBSan these inputs abort; without it the outcome is undefined.
TEST_CASE("non-ASCII text outside strings and comments is refused, naming line and column") {
  struct Case {
    std::string text;
    std::string where;  // "deskmail.toml:LINE:COL"
    std::string code_point;
  };
  const std::vector<Case> cases = {
      {"z\xd1\x90", "deskmail.toml:1:2", "U+0450"},  // the fuzz finding, as found
      {"z\xd1\x90 = 1\n", "deskmail.toml:1:2", "U+0450"},
      {"\xc3\xa9t\xc3\xa9 = 1\n", "deskmail.toml:1:1", "U+00E9"},
      {"data_dir = \"/x\"\n[admin]\nport = 8025 \xc2\xa1\n", "deskmail.toml:3:13", "U+00A1"},
      {"[t\xc3\xa9st]\n", "deskmail.toml:1:3", "U+00E9"},
      {"[[account]]\nname = \"a\"\nhost\xe3\x80\x80= \"h\"\n", "deskmail.toml:3:5", "U+3000"},
      {"data_dir = \"a\\\"\" \xef\xb1\x80\n", "deskmail.toml:1:18", "U+FC40"},
      {"a.\xd0\xb1 = 1\n", "deskmail.toml:1:3", "U+0431"},
      {"data_dir = \"\"\"x\"\"\"\" \xc3\xa9\n", "deskmail.toml:1:21", "U+00E9"},
      {"k = 1 \xff\n", "deskmail.toml:1:7", "0xFF"},  // not UTF-8 at all
      // A quote in the middle of a bad value opens no string: toml++'s
      // look-ahead reads past it (the second config_fuzz finding).
      {"port = 14!\"start\xd1\x90\"\n", "deskmail.toml:1:17", "U+0450"},
      {"k = 1 \"\xc3\xa9\"\n", "deskmail.toml:1:8", "U+00E9"},
      {"k = [\"a\" \"\xc3\xa9\"]\n", "deskmail.toml:1:11", "U+00E9"},
      {"k = 12=\"\xc3\xa9\"\n", "deskmail.toml:1:9", "U+00E9"},
      {"k = 8e[[{[\"\xc3\xa9\"\n", "deskmail.toml:1:12", "U+00E9"},  // the third finding
      {"k = true\"\xc3\xa9\"\n", "deskmail.toml:1:10", "U+00E9"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto cfg = config::ParseConfig(c.text, "deskmail.toml");
    REQUIRE_FALSE(cfg.ok());
    CHECK(cfg.status().code() == util::Code::kInvalidArgument);
    CHECK_THAT(cfg.status().message(), Catch::Contains(c.where + ": "));
    CHECK_THAT(cfg.status().message(), Catch::Contains(c.code_point));
    CHECK_THAT(cfg.status().message(), Catch::Contains("outside a string or comment"));
  }
}

TEST_CASE("non-ASCII text wherever TOML lets a string start is read") {
  const std::string text =
      "\"cl\xc3\xa9\" = \"\xc3\xa9\"\n"
      "x.'\xc3\xbc'.y = '\xc3\xaf'\n"
      "inline = { \"\xc3\xa4\" = \"\xc3\xb6\", b = [ \"\xc3\xa9\", { c = \"\xc3\xbc\" } ] }\n"
      "dates = [ 1979-05-27T07:32:00Z, 1979-05-27 07:32:00, \"\xc3\xa9\" ]\n"
      "nums = [ 1, -2.5e3, 0x1F, inf, \"\xc3\xbc\", ]\n"
      "arr = [ # \xc3\xa9\n"
      "  \"\xc3\xa9\", # \xc3\xbc\n"
      "  [ \"\xc3\xb6\" ],\n"
      "  '''\n\xc3\xa9''',\n"
      "]\n"
      "[t.\"\xc3\xa9\"]\n"
      "k = \"\xc3\xa4\"\n"
      "[[ u.'\xc3\xbc' ]]\n"
      "k = true # \xc3\xa9\n";
  auto cfg = config::ParseConfig(text, "f");
  INFO((cfg.ok() ? std::string() : cfg.status().message()));
  REQUIRE(cfg.ok());
  CHECK(cfg->warnings.size() == 8);  // every key is unknown, and said so
}

TEST_CASE("a backslash in a multi-line string before non-ASCII text: kept or refused by TOML") {
  // A line-ending backslash trims the blanks and newlines after it; the first
  // character it keeps, when not ASCII, is what toml++ would test as
  // whitespace: valid TOML, read as written.
  auto kept = config::ParseConfig(
      "alert_command = \"\"\"a \\\n   \xc3\xa9"
      "b \\\r\n\n \xf0\x9f\x93\xa7\"\"\"\n",
      "f");
  INFO((kept.ok() ? std::string() : kept.status().message()));
  REQUIRE(kept.ok());
  CHECK(kept->alert_command ==
        "a \xc3\xa9"
        "b \xf0\x9f\x93\xa7");

  // Invalid TOML whose reading would reach the same test: refused, named.
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"k = \"\"\"x\\\xc3\xa9\"\"\"\n", "f:1:10: U+00E9: unknown escape"},
      {"k = \"\"\"x\\  \xc3\xa9\n\"\"\"\n", "f:1:12: U+00E9: text after a line-ending"},
  };
  for (const auto& [text, want] : refused) {
    INFO(text);
    auto r = config::ParseConfig(text, "f");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::StartsWith(want));
  }
}

TEST_CASE("every config_fuzz finding is refused with a message, not a crash") {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(DESKMAIL_SOURCE_DIR) +
                                                           "/fuzz/regressions/config")) {
    std::ifstream in(e.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(e.path().string());
    auto r = config::ParseConfig(text, e.path().string());
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::StartsWith(e.path().string() + ":"));
    ++files;
  }
  CHECK(files >= 2);
}

TEST_CASE("non-ASCII text inside strings, quoted keys and comments is read") {
  const std::string text =
      "\xef\xbb\xbf"  // a UTF-8 byte order mark
      "# commentaire : \xc3\xa9t\xc3\xa9, \xe4\xb8\xad\xe6\x96\x87\n"
      "data_dir = \"/srv/d\xc3\xa9sk\\\\\" # \xc3\xa9\n"
      "ticket_tag = '\xc3\xbc'\n"
      "alert_command = \"\"\"\n"
      "say \"\xc3\xa9\" \\\"\"\" \xc3\xa9\n"
      "\xc3\xa9\"\"\"\"\n"
      "alert_command_env = ['''\n\xc3\xa9 '' \xc3\xa9''', \"\\u00e9\"]\n"
      "[[account]] # \xc3\xa9\n"
      "name = \"\xc3\xbc\"\n"
      "\"cl\xc3\xa9\" = 1\n";
  auto cfg = config::ParseConfig(text, "deskmail.toml");
  REQUIRE(cfg.ok());
  CHECK(cfg->data_dir == "/srv/d\xc3\xa9sk\\");
  CHECK(cfg->ticket_tag == "\xc3\xbc");
  CHECK(cfg->alert_command == "say \"\xc3\xa9\" \"\"\" \xc3\xa9\n\xc3\xa9\"");
  CHECK(cfg->alert_command_env == std::vector<std::string>{"\xc3\xa9 '' \xc3\xa9", "\xc3\xa9"});
  REQUIRE(cfg->accounts.size() == 1);
  CHECK(cfg->accounts[0].name == "\xc3\xbc");
}

TEST_CASE("store.max_map_mib: default 1 TiB, a value, and bad values named") {
  auto defaults = config::ParseConfig("", "f");
  REQUIRE(defaults.ok());
  CHECK(defaults->store_max_map_mib == 1 << 20);
  auto cfg = config::ParseConfig("[store]\nmax_map_mib = 256\n", "f");
  REQUIRE(cfg.ok());
  CHECK(cfg->warnings.empty());
  CHECK(cfg->store_max_map_mib == 256);
  for (const char* bad :
       {"[store]\nmax_map_mib = 0\n", "[store]\nmax_map_mib = -5\n",
        "[store]\nmax_map_mib = 16777217\n", "[store]\nmax_map_mib = \"1G\"\n", "store = 5\n"}) {
    INFO(bad);
    auto r = config::ParseConfig(bad, "f");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("store"));
  }
  auto unknown = config::ParseConfig("[store]\nmap_size = 3\n", "f");
  REQUIRE(unknown.ok());
  REQUIRE(unknown->warnings.size() == 1);
  CHECK_THAT(unknown->warnings[0], Catch::Contains("store.map_size"));
}
