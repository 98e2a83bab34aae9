// Key encodings of store/schema.h. Pure functions, no LMDB.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace store::detail {

// 8-byte big-endian: byte order equals numeric order.
std::string EncodeU64(std::uint64_t v);
// nullopt unless `bytes` is exactly 8 bytes long.
std::optional<std::uint64_t> DecodeU64(std::string_view bytes);

// Keys longer than kMaxKeyBytes become prefix + 0xFF + raw SHA-256 of the
// whole key; shorter keys are returned unchanged.
std::string FoldKey(std::string key);

// FoldKey(a + '\0' + b). REQUIRES: a contains no '\0' (checked by callers).
std::string JoinKey(std::string_view a, std::string_view b);

// 64 hex digits (either case) -> 32 raw bytes; nullopt for anything else.
std::optional<std::string> HexToDigest(std::string_view hex);

}  // namespace store::detail
