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
  std::vector<std::string> access_token_command_env;  // variables it may see (util/subprocess.h)
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
};

struct Config {
  std::string path;      // the file it came from; empty for defaults
  std::string data_dir;  // empty: caller's default
  std::string admin_bind = "127.0.0.1";
  int admin_port = 8025;
  std::vector<std::string> allowed_forwarders;
  int forward_max_age_days = 14;
  // [intake] forwarder authentication (recovery/forwarder_auth.h).
  std::vector<std::string> trusted_authserv_ids;
  std::string intake_require = "dmarc";              // dmarc | dkim | envelope | none
  std::int64_t intake_max_message_bytes = 64 << 20;  // `intake` stdin cap
  std::string ticket_tag = "[#{id}]";
  std::string log_level = "info";
  std::string alert_command;                   // run once a day per expiring account, JSON on stdin
  std::vector<std::string> alert_command_env;  // variables it may see (util/subprocess.h)
  int expired_retry_hours = 6;  // an expired account asks the token endpoint at most this often
  std::vector<AccountConfig> accounts;
  std::vector<std::string> warnings;  // unknown keys and the like, one line each

  const AccountConfig* FindAccount(const std::string& name) const;
};

// Parses and validates. Errors (kInvalidArgument) name the file, the line
// when known, and the key.
util::Result<Config> LoadConfig(const std::string& path);
util::Result<Config> ParseConfig(const std::string& toml_text, const std::string& path_for_errors);

}  // namespace config
