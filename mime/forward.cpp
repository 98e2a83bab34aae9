// Forward unwrapping. Inline forwards are found from the body text: a
// separator line ("---------- Forwarded message ---------", "-----Original
// Message-----", "Begin forwarded message:", an underscore rule...) and/or a
// header block of localized labels (From/Von/De/差出人...). Attached forwards
// come from message/rfc822 parts. See mime/forward.h for the contract.
#include "mime/forward.h"

#include <glib.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "mime/detail/attached_item.h"
#include "mime/detail/forward_address.h"
#include "mime/detail/forward_labels.h"
#include "mime/detail/headers.h"
#include "mime/forward_date.h"

namespace mime {
namespace {

using detail::Field;
using detail::SeparatorKind;

constexpr std::size_t kMaxLines = 20000;    // a forward's header sits near the top
constexpr std::size_t kMaxBlockLines = 40;  // continuation lines included
constexpr std::size_t kMaxBlankBeforeBlock = 3;

struct Line {
  std::string raw;   // as written (CR, BOM, NBSP normalised)
  std::string text;  // quote markers and indentation removed, trailing blanks trimmed
  int quote = 0;     // number of '>' markers removed
};

std::string TrimCopy(std::string_view s) {
  const char* ws = " \t\r\n";
  const std::size_t a = s.find_first_not_of(ws);
  if (a == std::string_view::npos) return {};
  const std::size_t b = s.find_last_not_of(ws);
  return std::string(s.substr(a, b - a + 1));
}

// Bidirectional controls that right-to-left clients (Gmail and Outlook in
// Arabic, Hebrew, Persian) wrap around names, addresses and dates: U+200E/F,
// U+202A-202E, U+2066-2069 and the Arabic letter mark U+061C. They carry no
// text.
bool IsDirectionMark(std::string_view s) {
  if (s.size() >= 2 && s.substr(0, 2) == "\xD8\x9C") return true;
  if (s.size() < 3 || static_cast<unsigned char>(s[0]) != 0xE2) return false;
  const auto b1 = static_cast<unsigned char>(s[1]), b2 = static_cast<unsigned char>(s[2]);
  if (b1 == 0x80) return b2 == 0x8E || b2 == 0x8F || (b2 >= 0xAA && b2 <= 0xAE);
  if (b1 == 0x81) return b2 >= 0xA6 && b2 <= 0xA9;
  return false;
}

// NBSP, BOM, zero-width spaces, direction marks and CR confuse label matching.
std::string Normalise(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::string_view rest = in.substr(i);
    if (rest.substr(0, 2) == "\xC2\xA0") {
      out.push_back(' ');
      ++i;
    } else if (rest.substr(0, 3) == "\xEF\xBB\xBF" || rest.substr(0, 3) == "\xE2\x80\x8B" ||
               rest.substr(0, 3) == "\xE2\x80\x8C" || rest.substr(0, 3) == "\xE2\x80\x8D") {
      i += 2;
    } else if (IsDirectionMark(rest)) {
      i += (static_cast<unsigned char>(in[i]) == 0xD8 ? 1 : 2);
    } else if (rest.substr(0, 3) == "\xE3\x80\x80") {  // ideographic space
      out.push_back(' ');
      i += 2;
    } else if (in[i] == '\r') {
      if (i + 1 >= in.size() || in[i + 1] != '\n') out.push_back('\n');
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

std::vector<Line> SplitLines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t pos = 0;
  while (pos <= text.size() && lines.size() < kMaxLines) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    Line l;
    l.raw = std::string(text.substr(pos, nl - pos));
    std::size_t i = 0;
    while (i < l.raw.size()) {
      if (l.raw[i] == '>') {
        ++l.quote;
        ++i;
      } else if (l.raw[i] == ' ' || l.raw[i] == '\t') {
        ++i;
      } else {
        break;
      }
    }
    l.text = TrimCopy(std::string_view(l.raw).substr(i));
    lines.push_back(std::move(l));
    if (nl == text.size()) break;
    pos = nl + 1;
  }
  return lines;
}

// "Label: value" with a known label; `*From:*` (bold in plain text) and the
// French "De :" and fullwidth "：" included.
bool SplitLabel(std::string_view text, Field* field, std::string* value) {
  if (text.empty() || text.size() > 64 * 1024) return false;
  std::size_t colon = std::string_view::npos, after = 0;
  const std::size_t ascii = text.find(':');
  const std::size_t wide = text.find("\xEF\xBC\x9A");
  if (ascii != std::string_view::npos && (wide == std::string_view::npos || ascii < wide)) {
    colon = ascii;
    after = ascii + 1;
  } else if (wide != std::string_view::npos) {
    colon = wide;
    after = wide + 3;
  }
  if (colon == std::string_view::npos || colon == 0 || colon > 48) return false;
  auto f = detail::LabelField(text.substr(0, colon));
  if (!f) return false;
  std::string v = TrimCopy(text.substr(after));
  while (!v.empty() && v.front() == '*') v.erase(0, 1);
  *field = *f;
  *value = TrimCopy(v);
  return true;
}

struct Block {
  bool has[8] = {};
  std::string value[8];
  int fields = 0;
  std::size_t end = 0;  // first line after the block
  int quote = 0;        // quote depth of the block lines

  bool Has(Field f) const { return has[static_cast<int>(f)]; }
  const std::string& Get(Field f) const { return value[static_cast<int>(f)]; }
  bool Add(Field f, std::string v) {
    const int i = static_cast<int>(f);
    if (has[i]) return false;  // a second From: starts the body or the next block
    has[i] = true;
    value[i] = std::move(v);
    ++fields;
    return true;
  }
};

bool IsLabelLine(const Line& l) {
  Field f;
  std::string v;
  return SplitLabel(l.text, &f, &v);
}

// Reads "Label: value" lines from `start`. Continuation lines (a wrapped
// Subject or To) are joined when a label line follows them.
Block ReadBlock(const std::vector<Line>& lines, std::size_t start) {
  Block b;
  std::size_t i = start;
  std::size_t blanks = 0;
  while (i < lines.size() && lines[i].text.empty() && blanks < kMaxBlankBeforeBlock) {
    ++i;
    ++blanks;
  }
  b.end = i;
  if (i < lines.size()) b.quote = lines[i].quote;
  Field last = Field::kFrom;
  const std::size_t limit = std::min(lines.size(), i + kMaxBlockLines);
  for (; i < limit; ++i) {
    const Line& l = lines[i];
    Field f;
    std::string v;
    if (SplitLabel(l.text, &f, &v)) {
      if (!b.Add(f, std::move(v))) break;
      last = f;
      b.end = i + 1;
      continue;
    }
    if (b.fields == 0) break;
    const bool next_is_label = i + 1 < limit && IsLabelLine(lines[i + 1]);
    if (!l.text.empty() && next_is_label &&
        (last == Field::kSubject || last == Field::kTo || last == Field::kCc)) {
      b.value[static_cast<int>(last)] += " " + l.text;
      b.end = i + 1;
      continue;
    }
    // One blank line inside HTML-derived blocks.
    if (l.text.empty() && next_is_label && !b.Has(Field::kSubject)) {
      b.end = i + 1;
      continue;
    }
    break;
  }
  return b;
}

// Yahoo runs the whole block onto the separator line:
// "From: A <a@x>To: b@x Cc: ...Sent: ...Subject: S". Split before each label.
std::vector<Line> SplitRunOn(std::string_view rest) {
  const std::string low = detail::Lower(rest);
  std::vector<std::size_t> cuts = {0};
  if (low.size() == rest.size()) {
    for (std::size_t p = 1; p < low.size(); ++p) {
      // "...MEZBetreff:": after a letter, only a capitalised label starts a field.
      const unsigned char before = static_cast<unsigned char>(low[p - 1]);
      if (before < 0x80 && g_ascii_isalpha(static_cast<char>(before))) {
        const gunichar c = g_utf8_get_char_validated(rest.data() + p, rest.size() - p);
        if (c == static_cast<gunichar>(-1) || c == static_cast<gunichar>(-2) ||
            !g_unichar_isupper(c))
          continue;
      }
      bool hit = false;
      detail::ForEachLabel([&](std::string_view label) {
        if (hit || low.compare(p, label.size(), label) != 0) return;
        std::size_t q = p + label.size();
        while (q < low.size() && low[q] == ' ') ++q;
        if (q < low.size() && low[q] == ':') hit = true;
      });
      if (hit && p > cuts.back()) cuts.push_back(p);
    }
  }
  cuts.push_back(rest.size());
  std::vector<Line> out;
  for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
    Line l;
    l.raw = std::string(rest.substr(cuts[k], cuts[k + 1] - cuts[k]));
    l.text = TrimCopy(l.raw);
    out.push_back(std::move(l));
  }
  return out;
}

struct Hit {
  std::size_t note_end = 0;    // lines [0, note_end) are the forwarder's note
  std::size_t body_start = 0;  // the original's body starts here
  int quote = 0;               // quote depth of the original
  Block block;
  bool from_wrote_line = false;
};

bool ValidBlock(const Block& b, bool explicit_separator) {
  if (!b.Has(Field::kFrom) || b.Get(Field::kFrom).empty()) return false;
  if (detail::ParseAddressList(b.Get(Field::kFrom)).empty()) return false;
  const bool anchor = b.Has(Field::kDate) || b.Has(Field::kSubject);
  if (!anchor) return false;
  return explicit_separator ? b.fields >= 2 : b.fields >= 3;
}

// "Am 28/10/2021, 12:46 schrieb "John Doe" <john.doe@acme.com>:",
// "John Doe <j@x> kirjoitti 28/10/2021 12.46:", "... John Doe (j@x) ezt írta:".
Block WroteBlock(const std::string& text) {
  Block b;
  std::size_t open = std::string::npos, close = std::string::npos;
  for (const auto& [o, c] : {std::pair{'<', '>'}, std::pair{'(', ')'}}) {
    const std::size_t at = text.find('@');
    if (at == std::string::npos) return b;
    open = text.rfind(o, at);
    close = text.find(c, at);
    if (open != std::string::npos && close != std::string::npos) break;
  }
  if (open == std::string::npos || close == std::string::npos) return b;
  std::string addr = text.substr(open + 1, close - open - 1);
  while (!addr.empty() && (addr.front() == '<')) addr.erase(0, 1);
  while (!addr.empty() && (addr.back() == '>')) addr.pop_back();
  if (open > 0 && text[open] == '<' && text[open - 1] == '(') --open;
  std::string before = TrimCopy(std::string_view(text).substr(0, open));
  std::string name;
  // A quoted name ("", «», „”) or else the capitalised words before the address.
  for (const auto& [qo, qc] : {std::pair{"\"", "\""}, std::pair{"\xC2\xAB", "\xC2\xBB"},
                               std::pair{"\xE2\x80\x9E", "\xE2\x80\x9D"}}) {
    const std::string_view qcs(qc);
    if (before.size() > qcs.size() &&
        before.compare(before.size() - qcs.size(), qcs.size(), qcs) == 0) {
      const std::size_t start = before.rfind(qo, before.size() - qcs.size() - 1);
      if (start != std::string::npos) name = before.substr(start);
      break;
    }
  }
  if (name.empty()) {
    std::size_t start = before.size();
    while (start > 0) {
      std::size_t sp = before.rfind(' ', start - 1);
      const std::size_t word = sp == std::string::npos ? 0 : sp + 1;
      if (word >= start || !g_ascii_isupper(before[word])) break;
      start = sp == std::string::npos ? 0 : sp;
      if (sp == std::string::npos) break;
    }
    name = TrimCopy(std::string_view(before).substr(start));
  }
  b.Add(Field::kFrom, name + " <" + addr + ">");
  b.Add(Field::kDate, text.substr(0, open) + " " + text.substr(close + 1));
  return b;
}

// Yandex writes no header block after its separator but one line
// "02.11.2026, 10:00, "Name" <a@x>:" naming the sender and the date.
bool DatedAttribution(const std::vector<Line>& lines, std::size_t start, Block* out) {
  std::size_t j = start;
  for (std::size_t blanks = 0; j < lines.size() && lines[j].text.empty() && blanks < 3; ++blanks)
    ++j;
  if (j >= lines.size()) return false;
  const std::string& t = lines[j].text;
  if (t.size() < 10 || t.size() > 400 || t.find('@') == std::string::npos) return false;
  const bool colon =
      t.back() == ':' || (t.size() >= 3 && t.compare(t.size() - 3, 3, "\xEF\xBC\x9A") == 0);
  if (!colon) return false;
  Block b = WroteBlock(t);
  if (!b.Has(Field::kFrom) || !ParseForwardDate(b.Get(Field::kDate), 0)) return false;
  if (detail::ParseAddressList(b.Get(Field::kFrom)).empty()) return false;
  b.end = j + 1;
  b.quote = lines[j].quote;
  *out = std::move(b);
  return true;
}

// HCL Notes' classic layout: the sender and the date on lines of their own,
// then each label alone on a line with its value below:
//   Jane Roe <jane@x>
//   11/09/2026 02:05 PM
//   To
//   support@acme.example
//   cc
//
//   Subject
//   Damaged order 4711
bool NotesBlock(const std::vector<Line>& lines, std::size_t start, Block* out) {
  std::size_t j = start;
  auto skip_blank = [&] {
    for (std::size_t n = 0; j < lines.size() && lines[j].text.empty() && n < 3; ++n) ++j;
  };
  skip_blank();
  if (j + 1 >= lines.size() || lines[j].text.find('@') == std::string::npos) return false;
  const std::vector<Address> from = detail::ParseAddressList(lines[j].text);
  if (from.size() != 1 || from[0].address.empty()) return false;
  Block b;
  b.Add(Field::kFrom, lines[j].text);
  b.quote = lines[j].quote;
  ++j;
  if (!ParseForwardDate(lines[j].text, 0)) return false;
  b.Add(Field::kDate, lines[j].text);
  ++j;
  const std::size_t limit = std::min(lines.size(), j + kMaxBlockLines);
  Field pending = Field::kFrom;
  bool has_pending = false;
  for (; j < limit; ++j) {
    const std::string& t = lines[j].text;
    if (const std::optional<Field> f = detail::LabelField(t);
        f && t.find(':') == std::string::npos) {
      pending = *f;
      has_pending = true;
      continue;
    }
    if (t.empty()) continue;
    if (!has_pending) break;
    b.Add(pending, t);
    has_pending = false;
    if (pending == Field::kSubject) {
      ++j;
      break;
    }
  }
  if (!b.Has(Field::kSubject)) return false;
  b.end = j;
  *out = std::move(b);
  return true;
}

// A header block after "Original Message", an underscore rule or no
// separator at all is also how replies quote. At the top, the subject
// decides: a forward prefix accepts, a reply prefix refuses, and without
// either the forward must keep the original's subject (the prefix was
// deleted). Deeper, a quoted block is reply history unless the enclosing
// subject says "forwarded".
// With no subject at all (a bare body), a separator line is the only
// evidence and is accepted; a bare header block is not.
bool AcceptAmbiguous(std::string_view subject, const Block& b, bool top, bool separator) {
  if (detail::HasForwardPrefix(subject)) return true;
  if (!top || detail::HasReplyPrefix(subject)) return false;
  const std::string outer = detail::Lower(detail::StripForwardPrefixes(subject));
  if (outer.empty()) return separator;
  return b.Has(Field::kSubject) &&
         outer == detail::Lower(detail::StripForwardPrefixes(b.Get(Field::kSubject)));
}

// Outlook's HTML draws its separator as a border above the header block
// instead of writing a rule into the text.
bool HasOutlookHtmlRule(const std::string& html) {
  if (html.empty()) return false;
  const std::string low =
      detail::Lower(html.substr(0, std::min<std::size_t>(html.size(), 4 << 20)));
  std::string squeezed;
  squeezed.reserve(low.size());
  for (char c : low)
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') squeezed.push_back(c);
  return squeezed.find("border-top:solid#b5c4df") != std::string::npos ||
         squeezed.find("border-top:solid#e1e1e1") != std::string::npos;
}

std::optional<Hit> FindForward(const std::vector<Line>& lines, std::string_view subject, bool top,
                               bool html_rule = false) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Line& l = lines[i];
    if (l.text.empty()) continue;
    const detail::Separator sep = detail::MatchSeparator(l.text);
    if (sep.kind != SeparatorKind::kNone) {
      const bool explicit_sep = sep.kind == SeparatorKind::kForward;
      Hit h;
      h.note_end = i;
      bool valid = false;
      if (!sep.rest.empty()) {
        std::vector<Line> run = SplitRunOn(sep.rest);
        h.block = ReadBlock(run, 0);
        h.block.end = i + 1;
        h.block.quote = l.quote;
        valid = ValidBlock(h.block, explicit_sep);
      }
      // The rest of the line may only name the forwarder (HCL Notes'
      // "Forwarded by Name/Org on <date>", Mutt's "Forwarded message from
      // <who>"): the block follows on the next lines.
      if (!valid) {
        h.block = ReadBlock(lines, i + 1);
        valid = ValidBlock(h.block, explicit_sep);
      }
      if (!valid && explicit_sep) valid = DatedAttribution(lines, i + 1, &h.block);
      if (!valid && explicit_sep) valid = NotesBlock(lines, i + 1, &h.block);
      if (!valid) continue;
      if (!explicit_sep && !AcceptAmbiguous(subject, h.block, top, true)) continue;
      h.body_start = h.block.end;
      h.quote = h.block.quote;
      return h;
    }
    Field f;
    std::string v;
    // GMX and Web.de put "Gesendet:" above "Von:": a block may start with
    // its date.
    if (SplitLabel(l.text, &f, &v) &&
        (f == Field::kFrom || f == Field::kSubject || f == Field::kDate)) {
      Hit h;
      h.note_end = i;
      h.block = ReadBlock(lines, i);
      if (!ValidBlock(h.block, false) || !AcceptAmbiguous(subject, h.block, top, html_rule))
        continue;
      h.body_start = h.block.end;
      h.quote = h.block.quote;
      return h;
    }
    if (top && detail::HasForwardPrefix(subject) && detail::IsWroteLine(l.text)) {
      Hit h;
      h.note_end = i;
      h.block = WroteBlock(l.text);
      if (!h.block.Has(Field::kFrom)) continue;
      h.block.quote = l.quote;
      h.body_start = i + 1;
      h.quote = l.quote;
      h.from_wrote_line = true;
      return h;
    }
  }
  return std::nullopt;
}

std::string JoinTrimmed(const std::vector<std::string>& v) {
  std::size_t a = 0, b = v.size();
  while (a < b && TrimCopy(v[a]).empty()) ++a;
  while (b > a && TrimCopy(v[b - 1]).empty()) --b;
  std::string out;
  for (std::size_t i = a; i < b; ++i) {
    if (i > a) out += '\n';
    std::string s = v[i];
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
    out += s;
  }
  return out;
}

// The original's body: quote markers of the block's depth and a common
// indentation (Outlook for Mac indents by 4) removed.
std::string BodyText(const std::vector<Line>& lines, std::size_t start, int quote) {
  std::vector<std::string> out;
  for (std::size_t i = start; i < lines.size(); ++i) {
    std::string s = lines[i].raw;
    for (int q = 0; q < quote; ++q) {
      std::size_t k = 0;
      while (k < s.size() && (s[k] == ' ' || s[k] == '\t') && k < 4) ++k;
      if (k < s.size() && s[k] == '>') {
        s.erase(0, k + 1);
        if (!s.empty() && s[0] == ' ') s.erase(0, 1);
      }
    }
    out.push_back(std::move(s));
  }
  std::size_t indent = std::string::npos;
  for (const std::string& s : out) {
    if (TrimCopy(s).empty()) continue;
    const std::size_t k = s.find_first_not_of(" \t");
    indent = std::min(indent, k);
  }
  if (indent != std::string::npos && indent > 0)
    for (std::string& s : out) s = s.size() >= indent ? s.substr(indent) : std::string();
  return JoinTrimmed(out);
}

// Mutt, Yandex and Mail.ru close the original with a line of their own,
// Zoho repeats its opening separator: what follows is the forwarder's again.
// The last such line closes this layer (nested forwards close inside it).
std::string CutAtEnd(const std::string& body) {
  const std::vector<Line> lines = SplitLines(body);
  std::size_t cut = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (detail::IsEndMarker(lines[i].text)) cut = i;
  if (cut == lines.size()) {
    std::size_t last = lines.size();
    while (last > 0 && lines[last - 1].text.empty()) --last;
    if (last > 0) {
      const detail::Separator sep = detail::MatchSeparator(lines[last - 1].text);
      if (sep.kind == SeparatorKind::kForward && sep.rest.empty()) cut = last - 1;
    }
  }
  // Zoho closes its header block with the opening separator again: a bare
  // separator heading the body with no block of its own is dropped.
  std::size_t first = 0;
  while (first < cut && lines[first].text.empty()) ++first;
  if (first < cut) {
    const detail::Separator sep = detail::MatchSeparator(lines[first].text);
    Block unused;
    if (sep.kind == SeparatorKind::kForward && sep.rest.empty() &&
        !ValidBlock(ReadBlock(lines, first + 1), true) &&
        !DatedAttribution(lines, first + 1, &unused))
      ++first;
    else
      first = 0;
  }
  if (cut == lines.size() && first == 0) return body;
  std::vector<std::string> kept;
  for (std::size_t i = first; i < cut; ++i) kept.push_back(lines[i].raw);
  return JoinTrimmed(kept);
}

// Some webmail clients paste the raw header into the block: RFC 2047
// encoded-words ("=?UTF-8?B?...?=") are decoded before the value is read.
std::string Decoded(const std::string& value) {
  if (value.find("=?") == std::string::npos) return value;
  return detail::DecodeUnstructured(value);
}

std::string Note(const std::vector<Line>& lines, std::size_t end) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < end && i < lines.size(); ++i) v.push_back(lines[i].raw);
  return JoinTrimmed(v);
}

ForwardedOriginal FromBlock(const Block& b, std::string_view context_subject, int tz) {
  ForwardedOriginal o;
  const std::vector<Address> from = detail::ParseAddressList(Decoded(b.Get(Field::kFrom)));
  if (!from.empty()) o.from = from.front();
  if (b.Has(Field::kTo)) o.to = detail::ParseAddressList(Decoded(b.Get(Field::kTo)));
  if (b.Has(Field::kCc)) o.cc = detail::ParseAddressList(Decoded(b.Get(Field::kCc)));
  o.subject = detail::StripForwardPrefixes(b.Has(Field::kSubject) ? Decoded(b.Get(Field::kSubject))
                                                                  : context_subject);
  if (b.Has(Field::kDate)) o.date = ParseForwardDate(b.Get(Field::kDate), tz);
  if (b.Has(Field::kMessageId)) {
    std::string id = TrimCopy(b.Get(Field::kMessageId));
    if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
    o.message_id = id;
  }
  return o;
}

std::vector<Attachment> RealAttachments(const Message& m) {
  std::vector<Attachment> out;
  for (const Attachment& a : m.attachments)
    if (!a.inline_image) out.push_back(a);
  return out;
}

std::optional<Forwarded> UnwrapAttached(const Message& m, const UnwrapOptions& opts) {
  // Several attached messages: the first one is the original (clients list
  // them in the order the forwarder selected them; the rest stay attachments
  // of the forward and are not unwrapped).
  // An .eml typed application/octet-stream or text/plain, or an Outlook
  // .msg, counts as well (mime/detail/attached_item.h).
  const std::optional<Message> inner = detail::AttachedOriginal(m);
  if (!inner) return std::nullopt;
  const Message& im = *inner;
  Forwarded f;
  f.kind = ForwardKind::kAttachment;
  f.forwarder = m.from;
  f.note = TrimCopy(Normalise(m.body_text));
  if (opts.max_depth > 1) {
    UnwrapOptions deeper = opts;
    --deeper.max_depth;
    if (std::optional<Forwarded> nested = UnwrapForward(im, deeper)) {
      f.depth = 1 + nested->depth;
      f.original = std::move(nested->original);
      return f;
    }
  }
  ForwardedOriginal& o = f.original;
  o.from = im.from;
  o.to = im.to;
  o.cc = im.cc;
  o.subject = im.subject;
  o.date = im.date;
  o.message_id = im.message_id;
  o.body_text = TrimCopy(Normalise(im.body_text));
  o.attachments = RealAttachments(im);
  return f;
}

}  // namespace

std::optional<Forwarded> UnwrapForward(const Message& m, const UnwrapOptions& opts) {
  // Bounces and auto-replies quote or attach someone else's message but are
  // not forwards by a person.
  if (m.classification == Classification::kBounce ||
      m.classification == Classification::kAutoReply || opts.max_depth == 0)
    return std::nullopt;
  const std::string text = Normalise(m.body_text);
  std::vector<Line> lines = SplitLines(text);
  std::optional<Hit> hit =
      FindForward(lines, m.subject, /*top=*/true, HasOutlookHtmlRule(m.body_html));
  if (!hit) {
    if (m.attached_messages.empty() && m.attached_items.empty()) return std::nullopt;
    return UnwrapAttached(m, opts);
  }
  Forwarded f;
  f.kind = ForwardKind::kInline;
  f.forwarder = m.from;
  f.note = Note(lines, hit->note_end);
  f.original = FromBlock(hit->block, m.subject, m.date_tz_offset_minutes);
  std::string body = CutAtEnd(BodyText(lines, hit->body_start, hit->quote));
  std::string layer_subject =
      hit->block.Has(Field::kSubject) ? hit->block.Get(Field::kSubject) : m.subject;
  // Nested inline forwards: follow explicit separators, or header blocks
  // whose enclosing subject still says "forwarded".
  while (static_cast<std::size_t>(f.depth) < opts.max_depth) {
    std::vector<Line> inner = SplitLines(body);
    std::optional<Hit> h = FindForward(inner, layer_subject, /*top=*/false);
    if (!h) break;
    ++f.depth;
    f.original = FromBlock(h->block, layer_subject, m.date_tz_offset_minutes);
    body = CutAtEnd(BodyText(inner, h->body_start, h->quote));
    layer_subject = h->block.Has(Field::kSubject) ? h->block.Get(Field::kSubject) : layer_subject;
  }
  f.original.body_text = std::move(body);
  f.original.attachments = RealAttachments(m);
  return f;
}

}  // namespace mime
