// MessagePack written straight into a string, for the records the writer
// encodes once per stored message. nlohmann::json encodes MessagePack only
// from a json tree: one map node and a copy of every string per field, which
// made encoding the largest CPU cost of a commit after LMDB itself. Records
// are still decoded with nlohmann (strict); the tests check this writer
// byte for byte against nlohmann::json::to_msgpack, which also picks the
// smallest encoding of each value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace store::detail {

class MsgpackWriter {
 public:
  // A map of `n` key/value pairs follows (each key a Str).
  void Map(std::size_t n) { Header(n, 0x80, 15, 0xde, 0xdf); }
  // An array of `n` values follows.
  void Array(std::size_t n) { Header(n, 0x90, 15, 0xdc, 0xdd); }

  void Str(std::string_view s) {
    if (s.size() <= 31) {
      Byte(0xa0 | static_cast<std::uint8_t>(s.size()));
    } else if (s.size() <= 0xff) {
      Byte(0xd9);
      Byte(static_cast<std::uint8_t>(s.size()));
    } else if (s.size() <= 0xffff) {
      Byte(0xda);
      Be(s.size(), 2);
    } else {
      Byte(0xdb);
      Be(s.size(), 4);
    }
    out_.append(s);
  }

  void Uint(std::uint64_t v) {
    if (v <= 0x7f) {
      Byte(static_cast<std::uint8_t>(v));
    } else if (v <= 0xff) {
      Byte(0xcc);
      Byte(static_cast<std::uint8_t>(v));
    } else if (v <= 0xffff) {
      Byte(0xcd);
      Be(v, 2);
    } else if (v <= 0xffffffff) {
      Byte(0xce);
      Be(v, 4);
    } else {
      Byte(0xcf);
      Be(v, 8);
    }
  }

  void Int(std::int64_t v) {
    if (v >= 0) return Uint(static_cast<std::uint64_t>(v));
    const auto bits = static_cast<std::uint64_t>(v);
    if (v >= -32) {
      Byte(static_cast<std::uint8_t>(bits));  // negative fixint
    } else if (v >= INT8_MIN) {
      Byte(0xd0);
      Be(bits, 1);
    } else if (v >= INT16_MIN) {
      Byte(0xd1);
      Be(bits, 2);
    } else if (v >= INT32_MIN) {
      Byte(0xd2);
      Be(bits, 4);
    } else {
      Byte(0xd3);
      Be(bits, 8);
    }
  }

  void Bool(bool b) { Byte(b ? 0xc3 : 0xc2); }

  void StrList(const std::vector<std::string>& v) {
    Array(v.size());
    for (const std::string& s : v) Str(s);
  }
  void UintList(const std::vector<std::uint64_t>& v) {
    Array(v.size());
    for (std::uint64_t u : v) Uint(u);
  }

  std::string Take() { return std::move(out_); }

 private:
  void Byte(std::uint8_t b) { out_.push_back(static_cast<char>(b)); }
  // The low `n` bytes of v, most significant first.
  void Be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) Byte(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void Header(std::size_t n, std::uint8_t fix, std::size_t fix_max, std::uint8_t m16,
              std::uint8_t m32) {
    if (n <= fix_max) {
      Byte(fix | static_cast<std::uint8_t>(n));
    } else if (n <= 0xffff) {
      Byte(m16);
      Be(n, 2);
    } else {
      Byte(m32);
      Be(n, 4);
    }
  }

  std::string out_;
};

}  // namespace store::detail
