// Header blocks of inline forwards: lines, "Label: value" blocks, run-on
// Yahoo blocks, "On ... wrote:" lines, Yandex's dated line and HCL Notes'
// classic layout. See mime/detail/forward_block.h.
#include "mime/detail/forward_block.h"

#include <glib.h>

#include <algorithm>

#include "mime/detail/forward_address.h"
#include "mime/detail/forward_labels.h"
#include "mime/forward_date.h"

namespace mime::detail {
namespace {
constexpr std::size_t kMaxLines = 20000;    // a forward's header sits near the top
constexpr std::size_t kMaxBlockLines = 40;  // continuation lines included
constexpr std::size_t kMaxBlankBeforeBlock = 3;
}  // namespace

std::string TrimCopy(std::string_view s) {
  const char* ws = " \t\r\n";
  const std::size_t a = s.find_first_not_of(ws);
  if (a == std::string_view::npos) return {};
  const std::size_t b = s.find_last_not_of(ws);
  return std::string(s.substr(a, b - a + 1));
}

namespace {
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
}  // namespace

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

namespace {
bool IsLabelLine(const Line& l) {
  Field f;
  std::string v;
  return SplitLabel(l.text, &f, &v);
}
}  // namespace

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

}  // namespace mime::detail
