#include "mime/detail/headers.h"

#include <strings.h>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "mime/charset.h"
#include "mime/detail/glib_ptr.h"

namespace mime::detail {
namespace {

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

bool HasHighBytes(const char* s) {
  for (; *s != 0; ++s)
    if (static_cast<unsigned char>(*s) >= 0x80) return true;
  return false;
}

void AppendList(GMimeHeaderList* list, std::vector<GMimeHeader*>* out) {
  if (list == nullptr) return;
  const int n = g_mime_header_list_get_count(list);
  for (int i = 0; i < n; ++i) out->push_back(g_mime_header_list_get_header_at(list, i));
}

// An "address" with no '@' that is an RFC 2047 encoded word: a name.
bool IsEncodedName(std::string_view addr) {
  if (addr.find('@') != std::string_view::npos) return false;
  const auto start = addr.find("=?");
  return start != std::string_view::npos && addr.find("?=", start + 2) != std::string_view::npos;
}

void FlattenAddresses(InternetAddressList* list, std::vector<Address>* out, int depth = 0) {
  if (list == nullptr || depth > 8) return;
  const int n = internet_address_list_length(list);
  for (int i = 0; i < n; ++i) {
    InternetAddress* ia = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(ia)) {
      FlattenAddresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out,
                       depth + 1);
    } else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
      const char* name = internet_address_get_name(ia);
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
      Address a;
      a.name = name != nullptr ? ToUtf8(name, "utf-8") : std::string();
      a.address = addr != nullptr ? ToUtf8(addr, "utf-8") : std::string();
      if (IsEncodedName(a.address)) {
        // "From: =?koi8-r?B?...?=" is a display name with no address:
        // GMime reads the word as an addr-spec, no client would.
        if (a.name.empty()) a.name = Trim(DecodeUnstructured(a.address));
        a.address.clear();
      }
      if (!a.address.empty() || !a.name.empty()) out->push_back(std::move(a));
    }
  }
}

// Every occurrence of `name`: a message with two To: lines still reaches all.
std::vector<Address> Addresses(GMimeParserOptions* opts, const Message& m, const char* name) {
  std::vector<Address> out;
  for (const auto& [n, v] : m.headers) {
    if (strcasecmp(n.c_str(), name) != 0) continue;
    GObjectPtr<InternetAddressList> list(internet_address_list_parse(opts, v.c_str()));
    FlattenAddresses(list.get(), &out);
  }
  return out;
}

std::string StripAngles(std::string s) {
  s = Trim(s);
  if (!s.empty() && s.front() == '<') s.erase(0, 1);
  if (!s.empty() && s.back() == '>') s.pop_back();
  return Trim(s);
}

std::string MessageId(const std::string& raw) {
  GCharPtr id(g_mime_utils_decode_message_id(raw.c_str()));
  if (id && *id.get() != 0) return ToUtf8(id.get(), "utf-8");
  return ToUtf8(StripAngles(raw), "utf-8");
}

std::vector<std::string> References(GMimeParserOptions* opts, const std::string& raw) {
  std::vector<std::string> out;
  ReferencesPtr refs(g_mime_references_parse(opts, raw.c_str()));
  if (!refs) return out;
  const int n = g_mime_references_length(refs.get());
  for (int i = 0; i < n; ++i) {
    const char* id = g_mime_references_get_message_id(refs.get(), i);
    if (id != nullptr && *id != 0) out.push_back(ToUtf8(id, "utf-8"));
  }
  return out;
}

// RFC 2047 'Q': '_' is a space, "=XX" a byte.
std::string DecodeQ(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out.push_back(' ');
    } else if (text[i] == '=' && i + 2 < text.size() && g_ascii_isxdigit(text[i + 1]) &&
               g_ascii_isxdigit(text[i + 2])) {
      out.push_back(static_cast<char>(g_ascii_xdigit_value(text[i + 1]) * 16 +
                                      g_ascii_xdigit_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

struct EncodedWord {
  std::size_t end = 0;  // one past the closing "?="
  std::string charset;  // without an RFC 2231 "*lang" suffix
  std::string bytes;    // decoded, still in `charset`
};

// Parses "=?charset?B|Q?text?=" at raw[pos].
std::optional<EncodedWord> ParseEncodedWord(std::string_view raw, std::size_t pos) {
  if (raw.substr(pos, 2) != "=?") return std::nullopt;
  std::size_t q1 = raw.find('?', pos + 2);
  if (q1 == std::string_view::npos || q1 + 2 >= raw.size() || raw[q1 + 2] != '?')
    return std::nullopt;
  const char enc = static_cast<char>(g_ascii_toupper(raw[q1 + 1]));
  if (enc != 'B' && enc != 'Q') return std::nullopt;
  std::size_t end = raw.find("?=", q1 + 3);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view text = raw.substr(q1 + 3, end - q1 - 3);
  if (text.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  EncodedWord w;
  w.end = end + 2;
  w.charset = std::string(raw.substr(pos + 2, q1 - pos - 2));
  if (auto star = w.charset.find('*'); star != std::string::npos) w.charset.resize(star);
  if (enc == 'Q') {
    w.bytes = DecodeQ(text);
  } else {
    std::string b64(text);
    gsize len = 0;
    GCharPtr dec(reinterpret_cast<char*>(g_base64_decode(b64.c_str(), &len)));
    if (dec) w.bytes.assign(dec.get(), len);
  }
  return w;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return g_ascii_isdigit(c); });
}

bool IsMonth(std::string_view s) {
  static constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};
  if (s.size() < 3) return false;
  for (const char* m : kMonths)
    if (g_ascii_strncasecmp(s.data(), m, 3) == 0) return true;
  return false;
}

// The 400-year Gregorian cycle: 146,097 days, a whole number of weeks, so
// a date moved by it keeps its weekday.
constexpr std::int64_t kGregorianCycleSeconds = std::int64_t{146097} * 86400;

// The Date: value as GMime can read it. RFC 5322 section 4.3 obs-year in
// "[day-of-week ,] day month year time zone": a 2-digit year below 50 is
// 20xx, from 50 on 19xx; a 3-digit year is 1900 + year (GMime would read
// "101" as the year 101). GMime refuses years before 1969: those are moved
// one Gregorian cycle later and *shift says how far to move them back.
std::string DateForGMime(const std::string& date, std::int64_t* shift) {
  *shift = 0;
  struct Token {
    std::size_t pos, len;
  };
  std::vector<Token> tokens;
  for (std::size_t i = 0; i < date.size();) {
    if (date[i] == ' ' || date[i] == '\t' || date[i] == ',') {
      ++i;
      continue;
    }
    const std::size_t b = i;
    while (i < date.size() && date[i] != ' ' && date[i] != '\t' && date[i] != ',') ++i;
    tokens.push_back({b, i - b});
  }
  for (std::size_t k = 1; k + 1 < tokens.size(); ++k) {
    const std::string_view day(date.data() + tokens[k - 1].pos, tokens[k - 1].len);
    const std::string_view month(date.data() + tokens[k].pos, tokens[k].len);
    const std::string_view year(date.data() + tokens[k + 1].pos, tokens[k + 1].len);
    if (!IsMonth(month) || !IsDigits(day) || day.size() > 2 || !IsDigits(year)) continue;
    if (year.size() < 2 || year.size() > 4) return date;
    const int y = std::stoi(std::string(year));
    int full = y;
    if (year.size() == 2) full = y < 50 ? 2000 + y : 1900 + y;
    if (year.size() == 3) full = 1900 + y;
    if (full < 1970) {
      full += 400;
      *shift = kGregorianCycleSeconds;
    }
    std::string out = date;
    out.replace(tokens[k + 1].pos, tokens[k + 1].len, std::to_string(full));
    return out;
  }
  return date;
}

// 8-bit bytes decoded through the fallback charsets, piece by piece between
// the U+FFFD that stand for NUL bytes (parser.cpp), so those stay U+FFFD.
std::string Decode8bit(GMimeParserOptions* opts, const std::string& value) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  std::size_t from = 0;
  while (true) {
    const std::size_t at = value.find(kReplacement, from);
    const std::string piece = value.substr(from, at == std::string::npos ? at : at - from);
    if (HasHighBytes(piece.c_str()) && !IsValidUtf8(piece)) {
      GCharPtr dec(g_mime_utils_decode_8bit(opts, piece.data(), piece.size()));
      out += dec ? ToUtf8(dec.get(), "utf-8") : ToUtf8(piece, "windows-1252");
    } else {
      out += piece;
    }
    if (at == std::string::npos) break;
    out += kReplacement;
    from = at + kReplacement.size();
  }
  return out;
}

}  // namespace

// Decodes unstructured header text one encoded word at a time. GMime 3.2's
// own decoder drops a base64 word that follows a padded one of the same
// charset (jstedfast/gmime#133); here adjacent words of one charset are
// joined as bytes first, so a character split across words also survives.
std::string DecodeUnstructured(std::string_view raw) {
  std::string out;
  std::string run_charset, run_bytes;
  auto flush = [&] {
    if (!run_bytes.empty()) out += ToUtf8(run_bytes, run_charset);
    run_bytes.clear();
  };
  std::size_t pos = 0;
  while (pos < raw.size()) {
    auto w = ParseEncodedWord(raw, pos);
    if (!w) {
      flush();
      out.push_back(raw[pos++]);
      continue;
    }
    if (!run_bytes.empty() && g_ascii_strcasecmp(w->charset.c_str(), run_charset.c_str()) != 0)
      flush();
    run_charset = w->charset;
    run_bytes += w->bytes;
    pos = w->end;
    // Whitespace between two encoded words is not part of the text.
    std::size_t next = raw.find_first_not_of(" \t", pos);
    if (next != std::string_view::npos && ParseEncodedWord(raw, next)) pos = next;
  }
  flush();
  return out;
}

int TopLevelHeaderCount(GMimeMessage* m) {
  int n = g_mime_header_list_get_count(g_mime_object_get_header_list(GMIME_OBJECT(m)));
  if (GMimeObject* part = g_mime_message_get_mime_part(m); part != nullptr)
    n += g_mime_header_list_get_count(g_mime_object_get_header_list(part));
  return n;
}

void CollectRawHeaders(GMimeMessage* m, GMimeParserOptions* opts, Message* out) {
  // GMime files Content-* fields under the top MIME part; merge both lists
  // back into the order they had on the wire.
  std::vector<GMimeHeader*> all;
  AppendList(g_mime_object_get_header_list(GMIME_OBJECT(m)), &all);
  if (GMimeObject* part = g_mime_message_get_mime_part(m); part != nullptr)
    AppendList(g_mime_object_get_header_list(part), &all);
  std::stable_sort(all.begin(), all.end(), [](GMimeHeader* a, GMimeHeader* b) {
    return g_mime_header_get_offset(a) < g_mime_header_get_offset(b);
  });
  out->headers.reserve(all.size());
  for (GMimeHeader* h : all) {
    const char* name = g_mime_header_get_name(h);
    const char* raw = g_mime_header_get_raw_value(h);
    if (name == nullptr) continue;
    GCharPtr unfolded(g_mime_utils_header_unfold(raw != nullptr ? raw : ""));
    std::string value = Trim(unfolded ? unfolded.get() : "");
    if (HasHighBytes(value.c_str()) && !IsValidUtf8(value)) value = Decode8bit(opts, value);
    out->headers.emplace_back(ToUtf8(name, "utf-8"), std::move(value));
  }
}

void DecodeHeaders(GMimeParserOptions* opts, Message* out) {
  std::vector<Address> from = Addresses(opts, *out, "From");
  if (!from.empty()) out->from = std::move(from.front());
  if (out->Header("From") == nullptr)
    out->parse_errors.push_back("missing From header");
  else if (out->from.address.empty())
    out->parse_errors.push_back("From header has no address");
  out->to = Addresses(opts, *out, "To");
  out->cc = Addresses(opts, *out, "Cc");
  out->reply_to = Addresses(opts, *out, "Reply-To");

  if (const std::string* s = out->Header("Subject")) out->subject = Trim(DecodeUnstructured(*s));

  if (const std::string* d = out->Header("Date")) {
    std::int64_t shift = 0;
    DateTimePtr dt(g_mime_utils_header_decode_date(DateForGMime(*d, &shift).c_str()));
    if (dt) {
      out->date = g_date_time_to_unix(dt.get()) - shift;
      out->date_tz_offset_minutes =
          static_cast<int>(g_date_time_get_utc_offset(dt.get()) / G_TIME_SPAN_MINUTE);
    } else {
      out->parse_errors.push_back("unparseable Date: " + *d);
    }
  } else {
    out->parse_errors.push_back("missing Date header");
  }

  if (const std::string* id = out->Header("Message-ID")) out->message_id = MessageId(*id);
  if (out->message_id.empty()) out->parse_errors.push_back("missing Message-ID header");

  if (const std::string* irt = out->Header("In-Reply-To")) {
    std::vector<std::string> ids = References(opts, *irt);
    out->in_reply_to = ids.empty() ? MessageId(*irt) : ids.front();
  }
  if (const std::string* refs = out->Header("References"))
    out->references = References(opts, *refs);

  if (const std::string* rp = out->Header("Return-Path")) {
    // "<>" (null reverse-path) becomes ""; keep only the address otherwise.
    out->return_path = StripAngles(*rp);
  }
}

}  // namespace mime::detail
