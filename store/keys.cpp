#include "store/detail/keys.h"

#include "store/schema.h"
#include "util/sha256.h"

namespace store::detail {

std::string EncodeU64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::optional<std::uint64_t> DecodeU64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

std::string FoldKey(std::string key) {
  if (key.size() <= kMaxKeyBytes) return key;
  // The digest covers the whole key, so two long keys sharing the prefix
  // stay distinct; the kept prefix keeps mdb_dump output readable.
  util::Digest d = util::Sha256(key);
  key.resize(kMaxKeyBytes - d.size() - 1);
  key.push_back('\xff');
  key.append(reinterpret_cast<const char*>(d.data()), d.size());
  return key;
}

std::string JoinKey(std::string_view a, std::string_view b) {
  std::string key;
  key.reserve(a.size() + 1 + b.size());
  key.append(a);
  key.push_back('\0');
  key.append(b);
  return FoldKey(std::move(key));
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> HexToDigest(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  std::string out(32, '\0');
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

}  // namespace store::detail
