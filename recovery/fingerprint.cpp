#include "recovery/fingerprint.h"

#include <algorithm>
#include <cstdint>

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

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Length-prefixed fields: no choice of content can make two different
// field lists hash alike.
void Field(std::string& buf, std::string_view tag, std::string_view value) {
  buf.append(tag);
  buf.push_back(':');
  buf.append(std::to_string(value.size()));
  buf.push_back(':');
  buf.append(value);
}

// CRLF / CR -> LF, trailing blanks of each line and trailing newlines dropped.
std::string NormalizeText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto trim_line = [&out] {
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
      c = '\n';
    }
    if (c == '\n') trim_line();
    out.push_back(c);
  }
  trim_line();
  while (!out.empty() && out.back() == '\n') out.pop_back();
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

std::string ContentDigest(const mime::Message& m) {
  std::string buf;
  buf.reserve(m.body_text.size() + m.body_html.size() + 512 + 96 * m.attachments.size());
  Field(buf, "from", Lower(m.from.address));
  for (const auto& a : m.to) Field(buf, "to", Lower(a.address));
  for (const auto& a : m.cc) Field(buf, "cc", Lower(a.address));
  Field(buf, "subject", m.subject);
  Field(buf, "date", m.date ? std::to_string(*m.date) : std::string());
  Field(buf, "message-id", m.message_id);
  Field(buf, "in-reply-to", m.in_reply_to);
  for (const auto& r : m.references) Field(buf, "ref", r);
  Field(buf, "text", NormalizeText(m.body_text));
  Field(buf, "html", NormalizeText(m.body_html));
  for (const auto& a : m.attachments) {
    Field(buf, "att", a.sha256);
    Field(buf, "att-size", std::to_string(a.size));
    Field(buf, "att-type", a.content_type);
    Field(buf, "att-name", a.filename);
  }
  for (const auto& raw : m.attached_messages) Field(buf, "rfc822", util::Sha256Hex(raw));
  return util::Sha256Hex(buf);
}

std::string RawContentDigest(std::string_view raw_sha256_hex) {
  std::string buf;
  Field(buf, "raw", raw_sha256_hex);
  return util::Sha256Hex(buf);
}

}  // namespace recovery
