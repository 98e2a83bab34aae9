// The console's security pieces: password hashes (scrypt through OpenSSL's
// EVP_PBE_scrypt), admin sessions with their CSRF tokens, and the login
// rate limit. Internal to admin/.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "util/result.h"

namespace admin {

// "scrypt$N$r$p$SALT_B64$HASH_B64" for `password` (N=2^15, r=8, p=1).
std::string HashPassword(const std::string& password);
// Constant-time check of `password` against such a hash; false when the
// hash does not parse.
bool VerifyPassword(const std::string& password, const std::string& hash);
bool PasswordHashParses(const std::string& hash);

// `n` random bytes from OpenSSL's CSPRNG, base64url without padding.
std::string RandomToken(std::size_t n = 32);
bool ConstantTimeEquals(const std::string& a, const std::string& b);

// 127.0.0.0/8, ::1, localhost.
bool IsLoopbackBind(const std::string& bind);

struct Session {
  std::string csrf;
  bool authenticated = false;
  std::int64_t created = 0;
  std::int64_t last_seen = 0;
};

// Sessions keyed by a random id (the cookie). Idle ones expire after 12 h.
// Thread-safety: every method takes the internal lock.
class SessionTable {
 public:
  // The session for `id` (touched), or a new one; `id` is replaced by the
  // new id when the session was created.
  Session Get(std::string& id, std::int64_t now, bool* created);
  void SetAuthenticated(const std::string& id, bool on);
  // A new id for the same session (after login: no fixation); returns it.
  std::string Rotate(const std::string& id, std::int64_t now);
  void Drop(const std::string& id);

 private:
  std::mutex mu_;
  std::map<std::string, Session> sessions_;  // GUARDED_BY(mu_)
};

// At most `max_failures` failed logins per client address per window; the
// window slides.
class LoginLimiter {
 public:
  bool Allowed(const std::string& client, std::int64_t now);
  void Failed(const std::string& client, std::int64_t now);
  void Succeeded(const std::string& client);

 private:
  static constexpr int kMaxFailures = 5;
  static constexpr std::int64_t kWindow = 300;
  std::mutex mu_;
  std::map<std::string, std::pair<int, std::int64_t>> failures_;  // GUARDED_BY(mu_)
};

}  // namespace admin
