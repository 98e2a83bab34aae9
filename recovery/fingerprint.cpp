#include "recovery/fingerprint.h"

#include <algorithm>

#include "util/sha256.h"

namespace recovery {
namespace {

// Forwarding clients re-wrap and re-quote text and append signatures after
// it; the first few KB of the text with whitespace and quote marks removed
// are what survives.
constexpr std::size_t kBodyPrefix = 2048;

std::string Squeeze(std::string_view s, bool drop_quotes, std::size_t limit) {
  std::string out;
  out.reserve(std::min(s.size(), limit));
  for (unsigned char c : s) {
    if (out.size() >= limit) break;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || (drop_quotes && c == '>')) continue;
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  return out;
}

}  // namespace

std::string Fingerprint(std::string_view from_address, std::string_view subject,
                        std::string_view body_text) {
  std::string from = Squeeze(from_address, false, 512);
  if (from.empty()) return {};
  std::string text =
      from + '\n' + Squeeze(subject, false, 1024) + '\n' + Squeeze(body_text, true, kBodyPrefix);
  return util::Sha256Hex(text);
}

}  // namespace recovery
