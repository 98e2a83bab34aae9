#include "store/detail/keys.h"

#include <catch2/catch.hpp>

#include "store/schema.h"

namespace {

using store::detail::DecodeU64;
using store::detail::EncodeU64;
using store::detail::FoldKey;
using store::detail::HexToDigest;
using store::detail::JoinKey;

TEST_CASE("keys: u64 is big-endian so byte order is numeric order", "[keys]") {
  const std::vector<std::uint64_t> values = {
      0, 1, 255, 256, 65535, 1ull << 32, UINT64_MAX - 1, UINT64_MAX};
  for (std::size_t i = 0; i < values.size(); ++i) {
    INFO(values[i]);
    const std::string e = EncodeU64(values[i]);
    CHECK(e.size() == 8);
    CHECK(DecodeU64(e) == values[i]);
    if (i > 0) CHECK(EncodeU64(values[i - 1]) < e);
  }
  CHECK(EncodeU64(0x0102030405060708ull) == std::string("\x01\x02\x03\x04\x05\x06\x07\x08"));
  CHECK_FALSE(DecodeU64("1234567"));
  CHECK_FALSE(DecodeU64("123456789"));
}

TEST_CASE("keys: long keys fold to the LMDB limit and stay distinct", "[keys]") {
  CHECK(FoldKey("short") == "short");
  const std::string at_limit(store::kMaxKeyBytes, 'a');
  CHECK(FoldKey(at_limit) == at_limit);

  const std::string a = std::string(600, 'p') + "A";
  const std::string b = std::string(600, 'p') + "B";
  const std::string fa = FoldKey(a);
  CHECK(fa.size() == store::kMaxKeyBytes);
  CHECK(fa == FoldKey(a));
  CHECK(fa != FoldKey(b));
  CHECK(fa.substr(0, 400) == a.substr(0, 400));
}

TEST_CASE("keys: composite keys join with NUL", "[keys]") {
  CHECK(JoinKey("acct", "INBOX") == std::string("acct\0INBOX", 10));
  CHECK(JoinKey("a", "bc") != JoinKey("ab", "c"));
  CHECK(JoinKey("a", std::string(1000, 'f')).size() == store::kMaxKeyBytes);
}

TEST_CASE("keys: hex digests decode to 32 bytes", "[keys]") {
  const std::string hex = "00ff10aB" + std::string(56, 'e');
  auto d = HexToDigest(hex);
  REQUIRE(d);
  CHECK(d->size() == 32);
  CHECK(d->substr(0, 4) == std::string("\x00\xff\x10\xab", 4));
  const std::vector<std::string> bad = {"", std::string(63, 'a'), std::string(65, 'a'),
                                        std::string(63, 'a') + "g"};
  for (const std::string& s : bad) {
    INFO(s);
    CHECK_FALSE(HexToDigest(s));
  }
}

}  // namespace
