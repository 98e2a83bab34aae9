// The MessagePack writer against nlohmann::json::to_msgpack: both pick the
// smallest encoding, so the bytes must match exactly, at every size boundary.
#include "store/detail/msgpack_writer.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/detail/codec.h"
#include "tests/store/test_util.h"

namespace {

using nlohmann::json;
using store::detail::MsgpackWriter;

std::string Nlohmann(const json& j) {
  std::vector<std::uint8_t> b = json::to_msgpack(j);
  return std::string(b.begin(), b.end());
}

TEST_CASE("msgpack: integers encode as nlohmann encodes them", "[msgpack]") {
  for (std::uint64_t u : {0ull, 1ull, 127ull, 128ull, 255ull, 256ull, 65535ull, 65536ull,
                          4294967295ull, 4294967296ull, 18446744073709551615ull}) {
    INFO(u);
    MsgpackWriter w;
    w.Uint(u);
    CHECK(w.Take() == Nlohmann(json(u)));
  }
  for (std::int64_t i :
       {std::int64_t{0}, std::int64_t{5}, std::int64_t{200}, std::int64_t{-1}, std::int64_t{-32},
        std::int64_t{-33}, std::int64_t{-128}, std::int64_t{-129}, std::int64_t{-32768},
        std::int64_t{-32769}, std::int64_t{-2147483648LL}, std::int64_t{-2147483649LL},
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    INFO(i);
    MsgpackWriter w;
    w.Int(i);
    CHECK(w.Take() == Nlohmann(json(i)));
  }
}

TEST_CASE("msgpack: strings, arrays, maps and booleans encode as nlohmann does", "[msgpack]") {
  for (std::size_t n : {0u, 31u, 32u, 255u, 256u, 65535u, 65536u}) {
    INFO(n);
    const std::string s(n, 'x');
    MsgpackWriter w;
    w.Str(s);
    CHECK(w.Take() == Nlohmann(json(s)));
  }
  for (std::size_t n : {0u, 15u, 16u, 65535u, 65536u}) {
    INFO(n);
    std::vector<std::uint64_t> v(n, 7);
    MsgpackWriter w;
    w.UintList(v);
    CHECK(w.Take() == Nlohmann(json(v)));
  }
  for (std::size_t n : {1u, 15u, 16u, 70000u}) {
    INFO(n);
    json j = json::object();
    MsgpackWriter w;
    w.Map(n);
    // nlohmann writes keys in sorted order: write them so.
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < n; ++i) keys.push_back("k" + std::to_string(i));
    std::sort(keys.begin(), keys.end());
    for (const std::string& k : keys) {
      w.Str(k);
      w.Bool(k.size() % 2 == 0);
      j[k] = k.size() % 2 == 0;
    }
    CHECK(w.Take() == Nlohmann(j));
  }
}

TEST_CASE("msgpack: a message record holds exactly the fields store/schema.h lists", "[msgpack]") {
  const std::string bytes = store::detail::EncodeMessage(store_test::FullMessage(7));
  const json doc = json::from_msgpack(bytes);
  std::vector<std::string> keys;
  for (const auto& [k, v] : doc.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"a",  "att", "cc", "ch",  "cl",  "d", "dt", "fa", "fn",
                                         "fp", "fw",  "id", "irt", "mid", "o", "pe", "ra", "refs",
                                         "rh", "rn",  "rz", "s",   "sk",  "t", "to", "tr", "v"});
  // A duplicate key would make the header's count disagree with the map.
  CHECK(static_cast<unsigned char>(bytes[0]) == 0xde);  // map16: 27 fields
  CHECK(doc.size() == 27);
  REQUIRE(doc["att"].size() == store_test::FullMessage(7).attachments.size());
  for (const json& a : doc["att"]) CHECK(a.size() == 5);
}

}  // namespace
