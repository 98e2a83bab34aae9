// SHA-256 through OpenSSL's EVP interface.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace util {

using Digest = std::array<std::uint8_t, 32>;

Digest Sha256(std::string_view data);
// Lower-case hex of the digest (64 characters).
std::string Sha256Hex(std::string_view data);
std::string ToHex(std::string_view bytes);

// SHA-256 of bytes that arrive in pieces (an attachment decoded a chunk at
// a time). OpenSSL's, like the one-shot functions: GLib's GChecksum has no
// SHA extensions and cost several times as much CPU.
class Sha256Stream {
 public:
  Sha256Stream();
  void Update(std::string_view data);
  // Lower-case hex; the stream is spent afterwards.
  std::string FinishHex();

 private:
  struct CtxFree {
    void operator()(void* ctx) const;
  };
  std::unique_ptr<void, CtxFree> ctx_;
};

}  // namespace util
