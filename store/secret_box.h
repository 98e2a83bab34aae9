// store::SecretBox: seals secrets (OAuth refresh tokens) before they reach
// the LMDB file, so a copied data.mdb, a backup or `strings data.mdb` shows
// no token. AES-256-GCM through OpenSSL; no OpenSSL type in this header.
//
// SEALED FORMAT (version 1), stored as the value of the `secrets` database:
//   byte  0        0x01, the format version
//   bytes 1..12    a random nonce (RAND_bytes, fresh for every Seal)
//   bytes 13..n-17 the ciphertext, as long as the plaintext
//   last 16 bytes  the GCM authentication tag
// The GCM additional data is the version byte followed by the caller's
// `aad`, which names the secret (e.g. "refresh_token:support"): a blob
// copied under another name, or sealed under another key, fails to open.
//
// THE MASTER KEY (32 bytes), in order of precedence:
//   1. env DESKMAIL_MASTER_KEY: 64 hex digits or the base64 of 32 bytes
//      (padded or not); surrounding whitespace is ignored. Anything else is
//      refused, and the error never repeats the value.
//   2. DATA_DIR/master.key: 64 hex digits and a newline (or 32 raw bytes).
//      Created on first use with mode 0600 (written to a temporary file and
//      linked into place, so two processes starting together agree on one
//      key). A key file readable or writable by group or others is refused.
// Losing the key loses the sealed tokens (every account then needs
// `deskmail reauth`); nothing else in the store depends on it.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "util/result.h"

namespace store {

inline constexpr std::string_view kMasterKeyEnv = "DESKMAIL_MASTER_KEY";
inline constexpr std::string_view kMasterKeyFile = "master.key";

class SecretBox {
 public:
  static constexpr std::size_t kKeyBytes = 32;
  static constexpr std::size_t kNonceBytes = 12;
  static constexpr std::size_t kTagBytes = 16;
  static constexpr unsigned char kVersion = 1;
  // Refresh tokens are a few KB; anything this large is a caller's bug.
  static constexpr std::size_t kMaxPlaintext = 1 << 20;

  // The key from the environment, else from (or newly into) the key file in
  // `data_dir`, which is created (mode 0700) when missing.
  // Errors: kInvalidArgument (a malformed env key or key file, a key file
  // with group/other permissions: the message says how to fix it),
  // kIOError (the key file cannot be read or created).
  //
  // With `create` false a missing key file is kNotFound, not a new key: a
  // store that holds sealed secrets must never get a fresh key silently
  // (oauth::LoadMasterKey decides). The environment variable is removed
  // from the process environment once read (its bytes wiped), so no child
  // and no /proc/PID/environ reader sees it: load the key once per process.
  static util::Result<SecretBox> Load(const std::string& data_dir, bool create = true);
  // A key given as text in the env formats above (for tools and tests).
  static util::Result<SecretBox> FromKeyText(std::string_view text);
  // REQUIRES: key.size() == kKeyBytes (else kInvalidArgument).
  static util::Result<SecretBox> FromRawKey(std::string_view key);

  SecretBox(SecretBox&& other) noexcept;
  SecretBox& operator=(SecretBox&& other) noexcept;
  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;
  ~SecretBox();  // wipes the key

  // Sealed bytes in the format above. kInvalidArgument when plaintext is
  // larger than kMaxPlaintext; kInternal if OpenSSL fails.
  // Thread-safety: Seal and Open may run concurrently on one SecretBox.
  util::Result<std::string> Seal(std::string_view plaintext, std::string_view aad) const;
  // The plaintext. kCorruption "secret <aad>: authentication failed
  // (tampered or wrong master key)" for any modified byte, a wrong aad or a
  // wrong key; kCorruption for a truncated blob or an unknown version. No
  // error carries plaintext or key bytes.
  util::Result<std::string> Open(std::string_view sealed, std::string_view aad) const;

 private:
  SecretBox() = default;
  std::array<unsigned char, kKeyBytes> key_{};
};

}  // namespace store
