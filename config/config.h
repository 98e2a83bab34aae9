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
  std::string ticket_tag = "[#{id}]";
  std::string log_level = "info";
  std::string alert_command;    // run once a day per expiring account, JSON on stdin
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
