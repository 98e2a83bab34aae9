// Secrets (access and refresh tokens, passwords) are overwritten when
// deskmail is done with them, so a later heap dump, swap page or core file
// (disabled in `run`) holds less. OPENSSL_cleanse: a plain memset of memory
// about to be freed may be optimized away.
#pragma once

#include <openssl/crypto.h>

#include <string>

namespace util {

inline void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace util
