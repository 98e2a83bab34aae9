// Where an account's IMAP credentials come from. Secrets never reach a log
// line or an error message: errors say which source failed, not what it held.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "util/result.h"
#include "util/wipe.h"

namespace oauth {

struct Secret {
  std::string user;
  std::string value;  // access token or password
  bool is_token = false;
  ~Secret() { util::Wipe(value); }
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // `refresh`: the last value was rejected or expired; get a new one if the
  // source can (a command is run again, a file re-read).
  virtual util::Result<Secret> Get(bool refresh) = 0;
  // After a transient failure that named a delay (HTTP Retry-After).
  virtual std::optional<std::chrono::seconds> retry_after() const { return std::nullopt; }
};

// For auth = "password": password_env or password_file. For auth = "xoauth2":
// access_token_command or access_token_file. kInvalidArgument when the
// account names no source.
util::Result<std::unique_ptr<CredentialSource>> MakeCredentialSource(
    const config::AccountConfig& a);

// Runs `command` with /bin/sh -c and returns its stdout, trimmed. The child
// sees PATH, HOME, LANG, LC_*, TZ and `pass_env` only, has 30 s and may
// print 64 KiB (util/subprocess.h). Exposed for tests.
util::Result<std::string> RunCommandForSecret(const std::string& command,
                                              const std::vector<std::string>& pass_env = {});

}  // namespace oauth
