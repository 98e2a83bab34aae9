#include "admin/security.h"
#include "util/base64url.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <vector>

namespace admin {
namespace {

constexpr std::uint64_t kN = 1 << 15, kR = 8, kP = 1;
constexpr std::size_t kHashLen = 32;

std::string B64(const unsigned char* data, std::size_t n) {
  return util::Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(data), n));
}

std::optional<std::vector<unsigned char>> UnB64(const std::string& in) {
  auto s = util::Base64UrlDecode(in);
  if (!s) return std::nullopt;
  return std::vector<unsigned char>(s->begin(), s->end());
}

struct ParsedHash {
  std::uint64_t n = 0, r = 0, p = 0;
  std::vector<unsigned char> salt, hash;
};

std::optional<ParsedHash> Parse(const std::string& s) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find('$', start);
    parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  if (parts.size() != 6 || parts[0] != "scrypt") return std::nullopt;
  ParsedHash h;
  try {
    h.n = std::stoull(parts[1]);
    h.r = std::stoull(parts[2]);
    h.p = std::stoull(parts[3]);
  } catch (...) {
    return std::nullopt;
  }
  auto salt = UnB64(parts[4]);
  auto hash = UnB64(parts[5]);
  if (!salt || !hash || salt->size() < 8 || hash->size() < 16) return std::nullopt;
  if (h.n < 2 || (h.n & (h.n - 1)) != 0 || h.r == 0 || h.p == 0) return std::nullopt;
  h.salt = std::move(*salt);
  h.hash = std::move(*hash);
  return h;
}

bool Scrypt(const std::string& password, const ParsedHash& params, unsigned char* out,
            std::size_t len) {
  // maxmem: 128 * r * N plus slack; OpenSSL's default (32 MiB) is exactly at N=2^15.
  const std::uint64_t maxmem = 128 * params.r * params.n * 2 + (1 << 20);
  return EVP_PBE_scrypt(password.data(), password.size(), params.salt.data(), params.salt.size(),
                        params.n, params.r, params.p, maxmem, out, len) == 1;
}

}  // namespace

std::string RandomToken(std::size_t n) {
  std::vector<unsigned char> buf(n);
  if (RAND_bytes(buf.data(), static_cast<int>(n)) != 1) std::abort();  // no entropy: no console
  return B64(buf.data(), n);
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HashPassword(const std::string& password) {
  ParsedHash p;
  p.n = kN;
  p.r = kR;
  p.p = kP;
  p.salt.resize(16);
  if (RAND_bytes(p.salt.data(), 16) != 1) std::abort();
  unsigned char out[kHashLen];
  if (!Scrypt(password, p, out, sizeof out)) std::abort();
  return "scrypt$" + std::to_string(kN) + "$" + std::to_string(kR) + "$" + std::to_string(kP) +
         "$" + B64(p.salt.data(), p.salt.size()) + "$" + B64(out, sizeof out);
}

bool PasswordHashParses(const std::string& hash) { return Parse(hash).has_value(); }

bool VerifyPassword(const std::string& password, const std::string& hash) {
  auto p = Parse(hash);
  if (!p) return false;
  std::vector<unsigned char> out(p->hash.size());
  if (!Scrypt(password, *p, out.data(), out.size())) return false;
  return CRYPTO_memcmp(out.data(), p->hash.data(), out.size()) == 0;
}

bool IsLoopbackBind(const std::string& bind) {
  return bind == "localhost" || bind == "::1" || bind == "[::1]" || bind.rfind("127.", 0) == 0;
}

Session SessionTable::Get(std::string& id, std::int64_t now, bool* created) {
  std::lock_guard lock(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = now - it->second.last_seen > 12 * 3600 ? sessions_.erase(it) : std::next(it);
  }
  auto it = id.empty() ? sessions_.end() : sessions_.find(id);
  *created = it == sessions_.end();
  if (*created) {
    id = RandomToken();
    Session s;
    s.csrf = RandomToken();
    s.created = now;
    it = sessions_.emplace(id, s).first;
  }
  it->second.last_seen = now;
  return it->second;
}

void SessionTable::SetAuthenticated(const std::string& id, bool on) {
  std::lock_guard lock(mu_);
  if (auto it = sessions_.find(id); it != sessions_.end()) it->second.authenticated = on;
}

std::string SessionTable::Rotate(const std::string& id, std::int64_t now) {
  std::lock_guard lock(mu_);
  Session s;
  if (auto it = sessions_.find(id); it != sessions_.end()) {
    s = it->second;
    sessions_.erase(it);
  }
  s.csrf = RandomToken();
  s.last_seen = now;
  std::string fresh = RandomToken();
  sessions_[fresh] = s;
  return fresh;
}

void SessionTable::Drop(const std::string& id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

bool LoginLimiter::Allowed(const std::string& client, std::int64_t now) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(client);
  if (it == failures_.end()) return true;
  if (now - it->second.second > kWindow) {
    failures_.erase(it);
    return true;
  }
  return it->second.first < kMaxFailures;
}

void LoginLimiter::Failed(const std::string& client, std::int64_t now) {
  std::lock_guard lock(mu_);
  auto& f = failures_[client];
  if (now - f.second > kWindow) f.first = 0;
  ++f.first;
  f.second = now;
}

void LoginLimiter::Succeeded(const std::string& client) {
  std::lock_guard lock(mu_);
  failures_.erase(client);
}

}  // namespace admin
