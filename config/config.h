// deskmail.toml: the key names are a contract with operators' tooling (see
// ARCHITECTURE.md, Configuration). Unknown keys are reported, not fatal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace config {

// The keys whose values are one of a fixed set are parsed once, here, into
// these types; nothing downstream compares strings. The accepted strings are
// part of the contract: Name() gives each value's spelling in deskmail.toml
// (for logs and JSON), and Parse*() accepts exactly those spellings. A bad
// value is kInvalidArgument with the message `KEY = "VALUE": must be one of
// A, B` (LoadConfig prefixes the file and the table).

enum class Role { kSupport, kIntake };                               // role
enum class TlsMode { kImplicit, kStartTls };                         // tls
enum class Auth { kXOAuth2, kPassword };                             // auth
enum class Provider { kMicrosoft, kGoogle, kCustom };                // provider
enum class ReauthPolicy { kFixed, kRolling };                        // reauth_policy
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };  // log_level

// post_action: what to do to a message on the server once it is committed.
// "none", "seen" (set \Seen) or "move:FOLDER" (folder non-empty).
struct PostAction {
  enum class Kind { kNone, kSeen, kMove };
  Kind kind = Kind::kNone;
  std::string folder;  // kMove only

  static PostAction None() { return {}; }
  static PostAction Seen() { return {Kind::kSeen, {}}; }
  static PostAction Move(std::string folder) { return {Kind::kMove, std::move(folder)}; }
  // Anything but none changes the folder: it must be SELECTed, not EXAMINEd.
  bool WritesFolder() const { return kind != Kind::kNone; }
  bool operator==(const PostAction&) const = default;
};

util::Result<Role> ParseRole(std::string_view value);
util::Result<TlsMode> ParseTlsMode(std::string_view value);
util::Result<Auth> ParseAuth(std::string_view value);
util::Result<Provider> ParseProvider(std::string_view value);
util::Result<ReauthPolicy> ParseReauthPolicy(std::string_view value);
util::Result<LogLevel> ParseLogLevel(std::string_view value);
util::Result<PostAction> ParsePostAction(std::string_view value);

std::string_view Name(Role v);
std::string_view Name(TlsMode v);
std::string_view Name(Auth v);
std::string_view Name(Provider v);
std::string_view Name(ReauthPolicy v);
std::string_view Name(LogLevel v);
std::string Name(const PostAction& v);  // "none", "seen", "move:FOLDER"

struct AccountConfig {
  std::string name;
  std::string address;
  Role role = Role::kSupport;
  std::string host;
  int port = 993;
  TlsMode tls = TlsMode::kImplicit;
  std::string ca_file;
  bool tls_verify = true;  // false only with an explicit key; warned at every connect
  std::string username;
  Auth auth = Auth::kXOAuth2;
  Provider provider = Provider::kMicrosoft;
  std::string tenant = "common";
  std::string client_id;
  std::string token_endpoint;
  std::string device_code_endpoint;
  std::string authorize_endpoint;
  std::string client_secret_env;
  std::string oauth_ca_file;
  std::string access_token_command;
  std::vector<std::string> access_token_command_env;  // variables it may see (util/subprocess.h)
  std::string access_token_file;
  std::string password_env;
  std::string password_file;
  std::vector<std::string> folders{"INBOX"};
  int poll_interval_s = 60;
  int fetch_batch_max_count = 500;       // messages per UID FETCH and per commit
  int fetch_batch_max_bytes = 32 << 20;  // summed RFC822.SIZE per UID FETCH
  PostAction post_action;
  ReauthPolicy reauth_policy = ReauthPolicy::kFixed;
  int refresh_token_lifetime_days = 90;
  int alert_days = 10;
  std::string client_secret_expires_at;  // RFC 3339, optional: tracked like the token deadline
  int connect_timeout_s = 0;  // TCP connect + TLS handshake + greeting; 0 = the global key
  int read_timeout_s = 0;     // any single read or write (IDLE waits apart); 0 = the global key
};

struct Config {
  std::string path;      // the file it came from; empty for defaults
  std::string data_dir;  // empty: caller's default
  std::string admin_bind = "127.0.0.1";
  int admin_port = 8025;
  // [admin]: the console (admin/). Off loopback it needs a password or an API token.
  std::string admin_public_url;     // e.g. https://desk.example.com; default http://BIND:PORT
  std::string admin_password_hash;  // "scrypt$N$r$p$SALT_B64$HASH_B64" (deskmail admin-hash)
  std::string admin_password_file;  // a file holding that hash
  std::string admin_api_token_env;  // names the variable holding the API bearer token
  std::string admin_tls_cert;       // PEM; with tls_key the console speaks HTTPS
  std::string admin_tls_key;
  std::vector<std::string> allowed_forwarders;
  int forward_max_age_days = 14;
  // [intake] forwarder authentication (recovery/forwarder_auth.h).
  std::vector<std::string> trusted_authserv_ids;
  std::string intake_require = "dmarc";              // dmarc | dkim | envelope | none
  std::int64_t intake_max_message_bytes = 64 << 20;  // `intake` stdin cap
  std::string ticket_tag = "[#{id}]";
  LogLevel log_level = LogLevel::kInfo;
  std::string alert_command;                   // run once a day per expiring account, JSON on stdin
  std::vector<std::string> alert_command_env;  // variables it may see (util/subprocess.h)
  int expired_retry_hours = 6;     // an expired account asks the token endpoint at most this often
  int connect_timeout_s = 30;      // default for every account's connect_timeout_s
  int read_timeout_s = 120;        // default for every account's read_timeout_s
  int once_deadline_s = 300;       // `run --once` gives up on an account after this long
  int max_concurrent_logins = 10;  // accounts connecting at the same time; 0 = no bound
  // [store] max_map_mib: the most the LMDB map (and so data.mdb) may grow to;
  // past it a write fails with "map full" and the store stays usable.
  int store_max_map_mib = 1 << 20;  // 1 TiB
  std::vector<AccountConfig> accounts;
  std::vector<std::string> warnings;  // unknown keys and the like, one line each

  const AccountConfig* FindAccount(const std::string& name) const;
};

// Parses and validates. Errors (kInvalidArgument) name the file, the line
// when known, and the key.
util::Result<Config> LoadConfig(const std::string& path);
util::Result<Config> ParseConfig(const std::string& toml_text, const std::string& path_for_errors);

}  // namespace config
