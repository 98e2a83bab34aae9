// Originals attached to a forward: message/rfc822 parts, and attachments
// that hold a message under another type (see mime/detail/attached_item.h).
#include <glib.h>

#include <string>

#include "mime/detail/attached_item.h"
#include "mime/outlook_msg.h"

namespace mime::detail {
namespace {

constexpr std::size_t kMaxHeaderScan = kSniffBytes;
constexpr int kMaxHeaderLines = 500;

bool EndsWithNoCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && g_ascii_strncasecmp(s.data() + s.size() - suffix.size(),
                                                          suffix.data(), suffix.size()) == 0;
}

// An RFC 5322 header block at the top of `bytes`: every line up to the first
// empty one is a field ("Name: value", name of printable ASCII) or a
// continuation; an mbox "From " line may come first. The field names seen are
// reported through the flags.
bool HeaderBlock(std::string_view bytes, bool* from, bool* date, bool* subject) {
  std::string_view s = bytes.substr(0, std::min(bytes.size(), kMaxHeaderScan));
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  if (s.substr(0, 5) == "From ") {
    const std::size_t nl = s.find('\n');
    if (nl == std::string_view::npos) return false;
    s.remove_prefix(nl + 1);
  }
  int fields = 0;
  for (int lines = 0; lines < kMaxHeaderLines; ++lines) {
    std::size_t nl = s.find('\n');
    if (nl == std::string_view::npos) nl = s.size();
    std::string_view line = s.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return fields >= 2;  // the blank line ending the header
    if (line.front() == ' ' || line.front() == '\t') {
      if (fields == 0) return false;
    } else {
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0 || colon > 76) return false;
      for (char c : line.substr(0, colon))
        if (c <= 32 || c >= 127) return false;
      const std::string_view name = line.substr(0, colon);
      auto is = [&](std::string_view want) {
        return name.size() == want.size() &&
               g_ascii_strncasecmp(name.data(), want.data(), want.size()) == 0;
      };
      // A From without an address is prose ("From: the warehouse ...").
      *from = *from || (is("from") && line.find('@', colon) != std::string_view::npos);
      *date = *date || is("date");
      *subject = *subject || is("subject");
      ++fields;
    }
    if (nl >= s.size()) return false;  // no body separator within the scan
    s.remove_prefix(nl + 1);
  }
  return false;
}

}  // namespace

ItemKind SniffAttachedItem(std::string_view content_type, std::string_view filename,
                           std::string_view bytes) {
  if (bytes.size() > kMaxAttachedItemBytes || bytes.size() < 16) return ItemKind::kNone;
  const bool octet = content_type == "application/octet-stream";
  if (LooksLikeCfb(bytes)) {
    const bool outlook_type = content_type == "application/vnd.ms-outlook" ||
                              content_type == "application/x-msg" ||
                              content_type == "application/x-outlook-msg";
    if (outlook_type || EndsWithNoCase(filename, ".msg") || (octet && filename.empty()))
      return ItemKind::kMsg;
    return ItemKind::kNone;
  }
  bool from = false, date = false, subject = false;
  if (EndsWithNoCase(filename, ".eml")) {
    if (HeaderBlock(bytes, &from, &date, &subject) && (from || date || subject))
      return ItemKind::kEml;
    return ItemKind::kNone;
  }
  if (!octet && content_type != "text/plain") return ItemKind::kNone;
  if (HeaderBlock(bytes, &from, &date, &subject) && from && (date || subject))
    return ItemKind::kEml;
  return ItemKind::kNone;
}

std::optional<Message> AttachedOriginal(const Message& m) {
  for (const std::string& raw : m.attached_messages)
    if (util::Result<Message> r = Parse(raw); r.ok()) return std::move(r.value());
  for (const std::string& raw : m.attached_items) {
    if (LooksLikeCfb(raw)) {
      if (util::Result<Message> r = ParseOutlookMsg(raw); r.ok()) return std::move(r.value());
      continue;
    }
    if (util::Result<Message> r = Parse(raw); r.ok()) return std::move(r.value());
  }
  return std::nullopt;
}

}  // namespace mime::detail
