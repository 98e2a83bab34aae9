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
#include "mime/detail/forward_block.h"
#include "mime/detail/forward_labels.h"
#include "mime/detail/headers.h"
#include "mime/forward_date.h"

namespace mime {
namespace {

using detail::Block;
using detail::DatedAttribution;
using detail::Field;
using detail::Line;
using detail::Normalise;
using detail::NotesBlock;
using detail::ReadBlock;
using detail::SeparatorKind;
using detail::SplitLabel;
using detail::SplitLines;
using detail::SplitRunOn;
using detail::TrimCopy;
using detail::ValidBlock;
using detail::WroteBlock;

struct Hit {
  std::size_t note_end = 0;    // lines [0, note_end) are the forwarder's note
  std::size_t body_start = 0;  // the original's body starts here
  int quote = 0;               // quote depth of the original
  Block block;
  bool from_wrote_line = false;
};

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
