// SHA-256 through OpenSSL's EVP interface.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace util {

using Digest = std::array<std::uint8_t, 32>;

Digest Sha256(std::string_view data);
// Lower-case hex of the digest (64 characters).
std::string Sha256Hex(std::string_view data);
std::string ToHex(std::string_view bytes);

}  // namespace util
