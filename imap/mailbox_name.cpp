#include "imap/mailbox_name.h"

#include <cstdint>
#include <vector>

namespace imap {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int AlphabetIndex(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

bool IsDirect(uint32_t cp) { return cp >= 0x20 && cp <= 0x7e; }

// Next code point of UTF-8 at `i`, rejecting overlongs, surrogates, > U+10FFFF.
std::optional<uint32_t> NextUtf8(std::string_view s, size_t& i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || i + len > s.size()) return std::nullopt;
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
  for (int k = 1; k < len; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  i += len;
  return cp;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

void FlushBase64(std::string& out, std::vector<uint16_t>& units) {
  if (units.empty()) return;
  out += '&';
  uint32_t bits = 0;
  int nbits = 0;
  for (uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kAlphabet[(bits >> nbits) & 0x3f];
    }
  }
  if (nbits > 0) out += kAlphabet[(bits << (6 - nbits)) & 0x3f];
  out += '-';
  units.clear();
}

}  // namespace

std::optional<std::string> EncodeMailboxName(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> pending;
  for (size_t i = 0; i < utf8.size();) {
    auto cp = NextUtf8(utf8, i);
    if (!cp) return std::nullopt;
    if (IsDirect(*cp)) {
      FlushBase64(out, pending);
      out += *cp == '&' ? std::string("&-") : std::string(1, static_cast<char>(*cp));
    } else if (*cp >= 0x10000) {
      uint32_t v = *cp - 0x10000;
      pending.push_back(static_cast<uint16_t>(0xd800 | (v >> 10)));
      pending.push_back(static_cast<uint16_t>(0xdc00 | (v & 0x3ff)));
    } else {
      pending.push_back(static_cast<uint16_t>(*cp));
    }
  }
  FlushBase64(out, pending);
  return out;
}

std::optional<std::string> DecodeMailboxName(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size();) {
    char c = in[i];
    if (!IsDirect(static_cast<unsigned char>(c))) return std::nullopt;
    if (c != '&') {
      out += c;
      ++i;
      continue;
    }
    size_t end = in.find('-', i + 1);
    if (end == std::string_view::npos) return std::nullopt;
    if (end == i + 1) {  // "&-" is a literal '&'
      out += '&';
      i = end + 1;
      continue;
    }
    uint32_t bits = 0;
    int nbits = 0;
    std::vector<uint16_t> units;
    for (size_t k = i + 1; k < end; ++k) {
      int v = AlphabetIndex(in[k]);
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<uint32_t>(v);
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        units.push_back(static_cast<uint16_t>((bits >> nbits) & 0xffff));
      }
    }
    // Leftover bits must be fewer than 6 and all zero (RFC 3501's encoder pads with zeros).
    if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0 || units.empty()) return std::nullopt;
    for (size_t k = 0; k < units.size(); ++k) {
      uint32_t u = units[k];
      if (u >= 0xd800 && u <= 0xdbff) {
        if (k + 1 >= units.size() || units[k + 1] < 0xdc00 || units[k + 1] > 0xdfff)
          return std::nullopt;
        AppendUtf8(out, 0x10000 + ((u - 0xd800) << 10) + (units[k + 1] - 0xdc00));
        ++k;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        return std::nullopt;
      } else if (IsDirect(u)) {
        return std::nullopt;  // must have been written directly
      } else {
        AppendUtf8(out, u);
      }
    }
    i = end + 1;
  }
  return out;
}

}  // namespace imap
