#include "cli/views.h"

#include <algorithm>
#include <ctime>

#include "util/clock.h"
#include "util/printable.h"

namespace cli {
namespace {

using nlohmann::json;

json AddressJson(const mime::Address& a) { return {{"name", a.name}, {"address", a.address}}; }

json AddressList(const std::vector<mime::Address>& list) {
  json out = json::array();
  for (const auto& a : list) out.push_back(AddressJson(a));
  return out;
}

json Optional(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// One attachment, as `inspect --json` shows a parsed one (mime::Attachment,
// with its Content-ID) and the stored views a stored one
// (store::AttachmentRecord, which keeps no Content-ID).
template <class A>
json AttachmentsJson(const std::vector<A>& list) {
  json out = json::array();
  for (const A& a : list) {
    json j = {{"filename", a.filename},
              {"content_type", a.content_type},
              {"size", a.size},
              {"sha256", Optional(a.sha256)},  // null: not hashed yet (stored lists)
              {"inline", a.inline_image}};
    if constexpr (requires { a.content_id; }) j["content_id"] = Optional(a.content_id);
    out.push_back(std::move(j));
  }
  return out;
}

// Decodes one UTF-8 sequence at s[i]; advances i. Invalid bytes count as one
// column each, so a damaged string still lays out.
char32_t NextCodePoint(std::string_view s, std::size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = len == 1 ? c : c & (0x7F >> len);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

int Width(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return 0;
  if (cp >= 0x300 && cp < 0x370) return 0;  // combining marks
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) || cp >= 0x20000) {
    return 2;
  }
  return 1;
}

}  // namespace

namespace {

util::Result<mime::Message> ParseStored(store::ReadTxn& txn, const store::MessageRecord& m) {
  std::optional<std::string> raw = txn.GetRaw(m.raw_sha256);
  if (!raw) {
    util::Status why = txn.error();
    return util::Error(
        why.ok() ? util::Code::kNotFound : why.code(),
        "raw message " + m.raw_sha256 + (why.ok() ? " is missing" : ": " + why.message()));
  }
  return mime::Parse(*raw);
}

}  // namespace

util::Result<std::string> MessageText(store::ReadTxn& txn, const store::MessageRecord& m) {
  if (!m.text_in_raw) return m.body_text;
  auto parsed = ParseStored(txn, m);
  if (!parsed.ok()) return parsed.status();
  return std::move(parsed->body_text);
}

void ReadBack(store::ReadTxn& txn, store::MessageRecord& m) {
  const bool unhashed =
      std::any_of(m.attachments.begin(), m.attachments.end(),
                  [](const store::AttachmentRecord& a) { return a.sha256.empty(); });
  if (!m.text_in_raw && !unhashed) return;
  auto parsed = ParseStored(txn, m);
  if (!parsed.ok()) {
    if (m.text_in_raw) m.body_text = "[text unavailable: " + parsed.status().ToString() + "]";
    return;
  }
  if (m.text_in_raw) m.body_text = std::move(parsed->body_text);
  // The same parser walks the same parts in the same order: the lists
  // line up. A record that does not match (another deskmail's parse) keeps
  // its empty digests rather than borrowing another part's.
  if (unhashed && parsed->attachments.size() == m.attachments.size()) {
    for (std::size_t i = 0; i < m.attachments.size(); ++i) {
      store::AttachmentRecord& a = m.attachments[i];
      const mime::Attachment& b = parsed->attachments[i];
      if (a.sha256.empty() && a.filename == b.filename && a.content_type == b.content_type) {
        a.sha256 = b.sha256;
        a.size = b.size;
      }
    }
  }
}

const char* DispositionName(store::Disposition d) {
  switch (d) {
    case store::Disposition::kTicket:
      return "ticket";
    case store::Disposition::kIgnored:
      return "ignored";
    case store::Disposition::kUnprocessable:
      return "unprocessable";
    case store::Disposition::kRejected:
      return "rejected";
  }
  return "?";
}

json MessageJson(const mime::Message& m) {
  json j = {
      {"from", AddressJson(m.from)},
      {"to", AddressList(m.to)},
      {"cc", AddressList(m.cc)},
      {"reply_to", AddressList(m.reply_to)},
      {"subject", m.subject},
      {"date", m.date ? json(util::FormatRfc3339(*m.date)) : json(nullptr)},
      {"message_id", Optional(m.message_id)},
      {"in_reply_to", Optional(m.in_reply_to)},
      {"references", m.references},
      {"classification", mime::ClassificationName(m.classification)},
      {"classification_reason", Optional(m.classification_reason)},
      {"body_text", m.body_text},
      {"body_from_html", m.body_from_html},
      {"attachments", AttachmentsJson(m.attachments)},
      {"attached_messages", m.attached_messages.size()},
      {"parse_errors", m.parse_errors},
      {"forwarded", nullptr},
  };
  if (auto fwd = mime::UnwrapForward(m)) j["forwarded"] = ForwardedJson(*fwd);
  return j;
}

json ForwardedJson(const mime::Forwarded& f) {
  const mime::ForwardedOriginal& o = f.original;
  json attachments = json::array();
  for (const auto& a : o.attachments) {
    attachments.push_back(
        {{"filename", a.filename}, {"content_type", a.content_type}, {"size", a.size}});
  }
  return {{"kind", f.kind == mime::ForwardKind::kInline ? "inline" : "attachment"},
          {"depth", f.depth},
          {"note", f.note},
          {"forwarder", AddressJson(f.forwarder)},
          {"original",
           {{"from", AddressJson(o.from)},
            {"to", AddressList(o.to)},
            {"cc", AddressList(o.cc)},
            {"subject", o.subject},
            {"date", o.date ? json(util::FormatRfc3339(*o.date)) : json(nullptr)},
            {"message_id", Optional(o.message_id)},
            {"body_text", o.body_text},
            {"attachments", attachments}}}};
}

json TicketJson(const store::TicketRecord& t) {
  return {{"id", t.id},
          {"account", t.account},
          {"subject", t.subject},
          {"status", t.status},
          {"requester", {{"name", t.requester_name}, {"address", t.requester_address}}},
          {"created_at", util::FormatRfc3339(t.created_at)},
          {"updated_at", util::FormatRfc3339(t.updated_at)},
          {"channel", t.channel},
          {"message_ids", t.message_ids},
          {"outage_id", t.outage_id == 0 ? json(nullptr) : json(t.outage_id)},
          {"forwarder", Optional(t.forwarder)}};
}

json MessageRecordJson(const store::MessageRecord& m, bool with_body) {
  json j = {{"id", m.id},
            {"account", m.account},
            {"source", m.source_key},
            {"channel", m.channel},
            {"message_id", Optional(m.message_id)},
            {"ticket_id", m.ticket_id == 0 ? json(nullptr) : json(m.ticket_id)},
            {"disposition", DispositionName(m.disposition)},
            {"reason", Optional(m.reason)},
            {"from", {{"name", m.from_name}, {"address", m.from_address}}},
            {"to", m.to},
            {"cc", m.cc},
            {"subject", m.subject},
            {"date", m.date == 0 ? json(nullptr) : json(util::FormatRfc3339(m.date))},
            {"received_at", util::FormatRfc3339(m.received_at)},
            {"raw_sha256", m.raw_sha256},
            {"raw_size", m.raw_size},
            {"attachments", AttachmentsJson(m.attachments)},
            {"parse_errors", m.parse_errors}};
  if (with_body) j["body_text"] = m.body_text;
  return j;
}

std::size_t DisplayWidth(std::string_view s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) w += static_cast<std::size_t>(Width(NextCodePoint(s, i)));
  return w;
}

std::string FitColumn(std::string_view s, std::size_t width) {
  std::string out;
  std::size_t w = 0;
  std::size_t total = DisplayWidth(s);
  std::size_t budget = total > width ? width - 1 : width;  // room for the ellipsis
  for (std::size_t i = 0; i < s.size();) {
    std::size_t start = i;
    char32_t cp = NextCodePoint(s, i);
    int cw = Width(cp);
    if (cp < 0x20) {  // tabs, newlines in subjects: one space
      if (w + 1 > budget) break;
      out.push_back(' ');
      ++w;
      continue;
    }
    if (w + static_cast<std::size_t>(cw) > budget) break;
    out.append(s.substr(start, i - start));
    w += static_cast<std::size_t>(cw);
  }
  if (total > width) {
    out += "…";
    ++w;
  }
  out.append(width > w ? width - w : 0, ' ');
  return out;
}

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows_in,
                        std::size_t max_width) {
  // Every cell may hold mail-supplied text: made visible before it is measured.
  std::vector<std::vector<std::string>> rows = rows_in;
  for (auto& r : rows) {
    for (auto& cell : r) cell = Shown(cell);
  }
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = DisplayWidth(header[c]);
  for (const auto& r : rows) {
    for (std::size_t c = 0; c < r.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(r[c]));
    }
  }
  std::size_t fixed = 0;
  for (std::size_t c = 0; c + 1 < widths.size(); ++c) fixed += widths[c] + 2;
  if (!widths.empty() && fixed + widths.back() > max_width) {
    widths.back() = std::max<std::size_t>(10, max_width > fixed ? max_width - fixed : 10);
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < widths.size(); ++c) {
      std::string cell =
          c < cells.size() ? FitColumn(cells[c], widths[c]) : std::string(widths[c], ' ');
      out += cell;
      if (c + 1 < widths.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  return out;
}

std::string Shown(std::string_view text, bool multiline) {
  return util::Printable(text, multiline);
}

std::string TicketLabel(std::uint64_t id) {
  std::string s = "#";
  s += std::to_string(id);
  return s;
}

std::string FormatDate(std::int64_t t) {
  if (t == 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

}  // namespace cli
