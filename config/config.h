// deskmail.toml: the key names are a contract with operators' tooling (see
// ARCHITECTURE.md, Configuration). Unknown keys are reported, not fatal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace config {

struct AccountConfig {
  std::string name;
  std::string address;
  std::string role = "support";  // support | intake
  std::string host;
  int port = 993;
  std::string tls = "implicit";  // implicit | starttls
  std::string ca_file;
  bool tls_verify = true;  // false only with an explicit key; warned at every connect
  std::string username;
  std::string auth = "xoauth2";        // xoauth2 | password
  std::string provider = "microsoft";  // microsoft | google | custom
  std::string tenant = "common";
  std::string client_id;
  std::string token_endpoint;
  std::string device_code_endpoint;
  std::string authorize_endpoint;
  std::string client_secret_env;
  std::string oauth_ca_file;
  std::string access_token_command;
  std::string access_token_file;
  std::string password_env;
  std::string password_file;
  std::vector<std::string> folders{"INBOX"};
  int poll_interval_s = 60;
  int fetch_batch_max_count = 500;       // messages per UID FETCH and per commit
  int fetch_batch_max_bytes = 32 << 20;  // summed RFC822.SIZE per UID FETCH
  std::string post_action = "none";      // none | seen | move:FOLDER
  std::string reauth_policy = "fixed";   // fixed | rolling
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
  std::vector<std::string> allowed_forwarders;
  int forward_max_age_days = 14;
  std::string ticket_tag = "[#{id}]";
  std::string log_level = "info";
  std::string alert_command;       // run once a day per expiring account, JSON on stdin
  int expired_retry_hours = 6;     // an expired account asks the token endpoint at most this often
  int connect_timeout_s = 30;      // default for every account's connect_timeout_s
  int read_timeout_s = 120;        // default for every account's read_timeout_s
  int once_deadline_s = 300;       // `run --once` gives up on an account after this long
  int max_concurrent_logins = 10;  // accounts connecting at the same time; 0 = no bound
  std::vector<AccountConfig> accounts;
  std::vector<std::string> warnings;  // unknown keys and the like, one line each

  const AccountConfig* FindAccount(const std::string& name) const;
};

// Parses and validates. Errors (kInvalidArgument) name the file, the line
// when known, and the key.
util::Result<Config> LoadConfig(const std::string& path);
util::Result<Config> ParseConfig(const std::string& toml_text, const std::string& path_for_errors);

}  // namespace config
