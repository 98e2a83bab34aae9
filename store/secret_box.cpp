#include "store/secret_box.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

namespace store {
namespace {

using util::Code;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// Closes a file descriptor on every path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// A std::string that is wiped when it goes out of scope: key text read from
// the environment or the key file.
class WipedString {
 public:
  WipedString() = default;
  explicit WipedString(std::string s) : s_(std::move(s)) {}
  ~WipedString() { OPENSSL_cleanse(s_.data(), s_.size()); }
  WipedString(const WipedString&) = delete;
  WipedString& operator=(const WipedString&) = delete;
  std::string& str() { return s_; }

 private:
  std::string s_;
};

util::Status Errno(Code code, const std::string& what) {
  return util::Error(code, what + ": " + std::strerror(errno));
}

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 64 hex digits or base64 (standard or URL-safe alphabet, padded or not) of
// exactly 32 bytes into `out`; false for anything else.
bool DecodeKeyText(std::string_view text, std::array<unsigned char, SecretBox::kKeyBytes>& out) {
  if (text.size() == 2 * SecretBox::kKeyBytes) {
    bool hex = true;
    for (std::size_t i = 0; i < SecretBox::kKeyBytes && hex; ++i) {
      const int hi = HexDigit(text[2 * i]);
      const int lo = HexDigit(text[2 * i + 1]);
      hex = hi >= 0 && lo >= 0;
      if (hex) out[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    if (hex) return true;
  }
  // base64 of 32 bytes is 43 characters plus one '='.
  if (text.size() == 44 && text[43] == '=') text.remove_suffix(1);
  if (text.size() != 43) return false;
  WipedString b64{std::string(text)};
  for (char& c : b64.str()) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return false;
  }
  b64.str() += '=';
  unsigned char buf[33];
  const int n = EVP_DecodeBlock(buf, reinterpret_cast<const unsigned char*>(b64.str().data()),
                                static_cast<int>(b64.str().size()));
  // EVP_DecodeBlock counts the padding as a zero byte.
  const bool ok = n == 33;
  if (ok) std::memcpy(out.data(), buf, SecretBox::kKeyBytes);
  OPENSSL_cleanse(buf, sizeof buf);
  return ok;
}

util::Status ReadAll(int fd, const std::string& path, WipedString& out) {
  char buf[256];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno(Code::kIOError, "read key file " + path);
    if (n == 0) break;
    out.str().append(buf, static_cast<std::size_t>(n));
    if (out.str().size() > 4096) break;  // not a key file; refused below
  }
  OPENSSL_cleanse(buf, sizeof buf);
  return util::Status::Ok();
}

util::Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return util::Error(Code::kIOError, std::strerror(errno));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return util::Status::Ok();
}

// A fresh random key written to a private temporary file and linked to
// `path`: link() fails with EEXIST if another process got there first, in
// which case that process's key wins and is read back by the caller.
// Returns true when this call created the file.
util::Result<bool> CreateKeyFile(const std::string& dir, const std::string& path) {
  std::array<unsigned char, SecretBox::kKeyBytes> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return util::Error(Code::kInternal, "create key file " + path + ": RAND_bytes failed");
  }
  WipedString text;
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char b : key) {
    text.str() += kHex[b >> 4];
    text.str() += kHex[b & 15];
  }
  text.str() += '\n';
  OPENSSL_cleanse(key.data(), key.size());

  std::string tmp = dir + "/.master.key.XXXXXX";
  // mkstemp opens with O_CREAT|O_EXCL and mode 0600.
  Fd fd(::mkstemp(tmp.data()));
  if (fd.get() < 0) return Errno(Code::kIOError, "create key file in " + dir);
  util::Status s = WriteAll(fd.get(), text.str());
  if (s.ok() && ::fchmod(fd.get(), 0600) != 0) s = Errno(Code::kIOError, "chmod " + tmp);
  if (s.ok() && ::fsync(fd.get()) != 0) s = Errno(Code::kIOError, "fsync " + tmp);
  if (s.ok() && ::close(fd.release()) != 0) s = Errno(Code::kIOError, "close " + tmp);
  bool created = false;
  if (s.ok()) {
    if (::link(tmp.c_str(), path.c_str()) == 0) {
      created = true;
    } else if (errno != EEXIST) {
      s = Errno(Code::kIOError, "create key file " + path);
    }
  }
  ::unlink(tmp.c_str());
  if (!s.ok()) return util::Error(s.code(), "create key file " + path + ": " + s.message());
  // Make the new name durable before any secret depends on it.
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());
  return created;
}

util::Result<SecretBox> ReadKeyFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return Errno(Code::kIOError, "open key file " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Errno(Code::kIOError, "stat key file " + path);
  if (!S_ISREG(st.st_mode)) {
    return util::Error(Code::kInvalidArgument, "key file " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return util::Error(Code::kInvalidArgument, "key file " + path +
                                                   " is accessible by group or others (mode " +
                                                   mode + "); run: chmod 600 " + path);
  }
  WipedString content;
  if (util::Status s = ReadAll(fd.get(), path, content); !s.ok()) return s;
  if (content.str().size() == SecretBox::kKeyBytes) return SecretBox::FromRawKey(content.str());
  auto box = SecretBox::FromKeyText(Trim(content.str()));
  if (!box) {
    return util::Error(
        Code::kInvalidArgument,
        "key file " + path + ": not a master key (expected 64 hex digits or base64 of 32 bytes)");
  }
  return box;
}

}  // namespace

SecretBox::SecretBox(SecretBox&& other) noexcept : key_(other.key_) {
  OPENSSL_cleanse(other.key_.data(), other.key_.size());
}

SecretBox& SecretBox::operator=(SecretBox&& other) noexcept {
  if (this != &other) {
    key_ = other.key_;
    OPENSSL_cleanse(other.key_.data(), other.key_.size());
  }
  return *this;
}

SecretBox::~SecretBox() { OPENSSL_cleanse(key_.data(), key_.size()); }

util::Result<SecretBox> SecretBox::FromRawKey(std::string_view key) {
  if (key.size() != kKeyBytes) {
    return util::Error(Code::kInvalidArgument, "master key must be 32 bytes");
  }
  SecretBox box;
  std::memcpy(box.key_.data(), key.data(), kKeyBytes);
  return box;
}

util::Result<SecretBox> SecretBox::FromKeyText(std::string_view text) {
  SecretBox box;
  if (!DecodeKeyText(Trim(text), box.key_)) {
    // Deliberately no part of the value: it may be a real key with a typo.
    return util::Error(Code::kInvalidArgument,
                       "master key is malformed: expected 64 hex digits or the base64 of 32 "
                       "bytes");
  }
  return box;
}

util::Result<SecretBox> SecretBox::Load(const std::string& data_dir, bool create) {
  // The key given in the environment is taken out of it: wiped in place
  // (that memory is what /proc/PID/environ shows) and unset, so no child
  // inherits it. Callers load the key once per process.
  const std::string name(kMasterKeyEnv);
  if (char* env = std::getenv(name.c_str()); env != nullptr) {
    auto box = FromKeyText(env);
    OPENSSL_cleanse(env, std::strlen(env));
    ::unsetenv(name.c_str());
    if (!box) {
      return util::Error(Code::kInvalidArgument,
                         name + " is malformed: expected 64 hex digits or the base64 of 32 bytes");
    }
    return box;
  }
  std::error_code ec;
  if (!std::filesystem::exists(data_dir, ec)) {
    if (::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Errno(Code::kIOError, "create data directory " + data_dir);
    }
  }
  const std::string path = data_dir + "/" + std::string(kMasterKeyFile);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Errno(Code::kIOError, "stat key file " + path);
    if (!create) {
      return util::Error(Code::kNotFound, "no master key: " + std::string(kMasterKeyEnv) +
                                              " is not set and " + path + " does not exist");
    }
    auto created = CreateKeyFile(data_dir, path);
    if (!created) return created.status();
  }
  return ReadKeyFile(path);
}

util::Result<std::string> SecretBox::Seal(std::string_view plaintext, std::string_view aad) const {
  if (plaintext.size() > kMaxPlaintext || aad.size() > INT_MAX - 1) {
    return util::Error(Code::kInvalidArgument,
                       "secret " + std::string(aad) + ": too large to seal");
  }
  auto fail = [&](const char* step) {
    return util::Error(Code::kInternal, "secret " + std::string(aad) + ": " + step + " failed");
  };
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  o[0] = kVersion;
  if (RAND_bytes(o + 1, kNonceBytes) != 1) return fail("RAND_bytes");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return fail("EVP_CIPHER_CTX_new");
  const std::string full_aad = static_cast<char>(kVersion) + std::string(aad);
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), o + 1) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(full_aad.data()),
                        static_cast<int>(full_aad.size())) != 1) {
    return fail("encrypt init");
  }
  unsigned char* ct = o + 1 + kNonceBytes;
  if (EVP_EncryptUpdate(ctx.get(), ct, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, ct + plaintext.size()) != 1) {
    return fail("encrypt");
  }
  return out;
}

util::Result<std::string> SecretBox::Open(std::string_view sealed, std::string_view aad) const {
  const std::string name = "secret " + std::string(aad);
  if (sealed.size() < 1 + kNonceBytes + kTagBytes || sealed.size() > INT_MAX) {
    return util::Error(Code::kCorruption, name + ": sealed value is truncated");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  if (in[0] != kVersion) {
    return util::Error(Code::kCorruption, name + ": unknown sealed format version " +
                                              std::to_string(static_cast<int>(in[0])));
  }
  const std::size_t ct_len = sealed.size() - 1 - kNonceBytes - kTagBytes;
  const unsigned char* ct = in + 1 + kNonceBytes;
  unsigned char tag[kTagBytes];
  std::memcpy(tag, ct + ct_len, kTagBytes);
  const std::string full_aad = static_cast<char>(kVersion) + std::string(aad);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return util::Error(Code::kInternal, name + ": EVP_CIPHER_CTX_new failed");
  std::string out(ct_len, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), in + 1) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                              reinterpret_cast<const unsigned char*>(full_aad.data()),
                              static_cast<int>(full_aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), o, &len, ct, static_cast<int>(ct_len)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), o + len, &len) == 1;
  if (!ok) {
    // GCM decrypts before it verifies: wipe the unauthenticated output.
    OPENSSL_cleanse(out.data(), out.size());
    return util::Error(Code::kCorruption,
                       name + ": authentication failed (tampered or wrong master key)");
  }
  return out;
}

}  // namespace store
