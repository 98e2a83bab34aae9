#include "mime/detail/parts.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <vector>

#include "mime/charset.h"
#include "mime/detail/attached_item.h"
#include "mime/detail/glib_ptr.h"
#include "mime/detail/tnef.h"
#include "util/sha256.h"

namespace mime::detail {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

std::string Lower(const char* s) {
  std::string out = s != nullptr ? s : "";
  for (char& c : out) c = g_ascii_tolower(c);
  return out;
}

std::string MimeType(GMimeObject* obj) {
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  if (ct == nullptr) return "application/octet-stream";
  GCharPtr mt(g_mime_content_type_get_mime_type(ct));
  return Lower(mt.get());
}

std::string ReadAll(GMimeStream* s) {
  std::string out;
  g_mime_stream_reset(s);
  const gint64 len = g_mime_stream_length(s);
  out.resize(len > 0 ? static_cast<std::size_t>(len) : kReadChunk);
  std::size_t used = 0;
  while (true) {
    if (used == out.size()) out.resize(out.size() * 2);
    const ssize_t n = g_mime_stream_read(s, out.data() + used, out.size() - used);
    if (n <= 0) break;
    used += static_cast<std::size_t>(n);
  }
  out.resize(used);
  return out;
}

// The parser keeps part contents as bounded substreams of our memory stream:
// view those bytes in place instead of copying them out.
bool MemView(GMimeStream* s, std::string_view* view) {
  if (!GMIME_IS_STREAM_MEM(s)) return false;
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
  if (array == nullptr) return false;
  g_mime_stream_reset(s);
  const gint64 start = g_mime_stream_tell(s);
  const gint64 len = g_mime_stream_length(s);
  if (start < 0 || len < 0 || static_cast<guint64>(start + len) > array->len) return false;
  *view = std::string_view(reinterpret_cast<const char*>(array->data) + start,
                           static_cast<std::size_t>(len));
  return true;
}

// The stream's bytes: viewed in place when MemView can, else read into
// `copy`, which must outlive the returned view.
std::string_view StreamBytes(GMimeStream* s, std::string* copy) {
  std::string_view view;
  if (MemView(s, &view)) return view;
  *copy = ReadAll(s);
  return *copy;
}

// A leaf part's content as it stands in the message (still transfer-
// encoded), and its encoding; nullopt when the part has none. The bytes
// are viewed in place where StreamBytes can, else read into `copy`.
struct EncodedContent {
  std::string_view bytes;
  GMimeContentEncoding encoding;
  bool encoded() const {
    return encoding == GMIME_CONTENT_ENCODING_BASE64 ||
           encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
           encoding == GMIME_CONTENT_ENCODING_UUENCODE;
  }
};

std::optional<EncodedContent> PartContent(GMimePart* part, std::string* copy) {
  GMimeDataWrapper* w = g_mime_part_get_content(part);
  GMimeStream* stream = w != nullptr ? g_mime_data_wrapper_get_stream(w) : nullptr;
  if (stream == nullptr) return std::nullopt;
  return EncodedContent{StreamBytes(stream, copy), g_mime_data_wrapper_get_encoding(w)};
}

// Counts of alphabet characters, '=' and whitespace in `enc`, 16 bytes at a
// time with GCC/Clang vector extensions (SSE2 on x86-64, NEON on ARM): byte
// lanes count up to 255 blocks, then are summed. A plain per-byte loop was
// not vectorised at -O2 and took a quarter of the client's CPU.
struct Base64Counts {
  std::uint64_t alpha = 0, pad = 0, space = 0;
};

Base64Counts CountBase64(std::string_view enc) {
  using V = std::uint8_t __attribute__((vector_size(16)));
  Base64Counts n;
  const char* p = enc.data();
  std::size_t left = enc.size();
  auto sum = [](V v) {
    std::uint64_t t = 0;
    for (int i = 0; i < 16; ++i) t += v[i];
    return t;
  };
  while (left >= 16) {
    V alpha{}, pad{}, space{};
    for (int round = 0; round < 255 && left >= 16; ++round, p += 16, left -= 16) {
      V c;
      std::memcpy(&c, p, sizeof c);
      // Each comparison is 0 or all ones (-1) per lane: subtracting counts.
      alpha -= (V)((V)(c - 'A') < 26) + (V)((V)(c - 'a') < 26) + (V)((V)(c - '0') < 10) +
               (V)(c == '+') + (V)(c == '/');
      pad -= (V)(c == '=');
      space -= (V)(c == '\n') + (V)(c == '\r') + (V)(c == ' ') + (V)(c == '\t');
    }
    n.alpha += sum(alpha);
    n.pad += sum(pad);
    n.space += sum(space);
  }
  for (; left > 0; --left, ++p) {
    const auto c = static_cast<unsigned char>(*p);
    n.alpha += (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/';
    n.pad += c == '=';
    n.space += c == '\n' || c == '\r' || c == ' ' || c == '\t';
  }
  return n;
}

// What base64 decodes to, and whether it is damaged, without decoding it:
// 3 bytes per quantum of 4 characters less its padding; whitespace does not
// count, and junk, which the decoder skips, is damage.
struct Base64Measure {
  std::uint64_t decoded_size = 0;
  const char* damage = nullptr;
};

Base64Measure MeasureBase64(std::string_view enc) {
  const auto [alpha, pad, space] = CountBase64(enc);
  // Whole quanta only, as GMime decodes: a cut one yields nothing, and the
  // padding of the last one takes its bytes back.
  Base64Measure m;
  const std::uint64_t chars = alpha + pad;
  m.decoded_size = chars / 4 * 3;
  if (chars % 4 == 0) m.decoded_size -= std::min<std::uint64_t>(pad, 2);
  if (alpha + pad + space != enc.size()) {
    m.damage = "invalid characters in base64 data";
  } else if ((alpha + pad) % 4 != 0) {
    m.damage = "truncated base64 data";
  }
  return m;
}

std::string Decode(GMimeContentEncoding enc, std::string_view raw) {
  GMimeEncoding state;
  g_mime_encoding_init_decode(&state, enc);
  std::string out(g_mime_encoding_outlen(&state, raw.size()) + 16, '\0');
  const std::size_t n = g_mime_encoding_flush(&state, raw.data(), raw.size(), out.data());
  out.resize(n);
  return out;
}

// CRLF (and CR CR LF, some exporters' habit) -> LF, and CRs at the very
// end dropped; a lone CR stays. Copies the runs between CRs whole: mail
// from IMAP has one per line.
std::string StripCr(std::string s) {
  std::size_t cr = s.find('\r');
  if (cr == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  std::size_t from = 0;
  while (cr != std::string::npos) {
    std::size_t run = cr;
    while (run < s.size() && s[run] == '\r') ++run;
    if (run == s.size() || s[run] == '\n') {
      out.append(s, from, cr - from);
      from = run;
    }  // else: CRs inside a line are text
    cr = s.find('\r', run);
  }
  out.append(s, from, std::string::npos);
  return out;
}

// RFC 2045 token characters.
bool IsTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::strchr("()<>@,;:\\\"/[]?=", c) == nullptr;
}

std::string_view TrimView(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// "type/subtype" as RFC 2045 section 5.1 has it, comments allowed around.
bool IsValidContentType(std::string_view value) {
  std::string s;
  int depth = 0;
  for (char c : value) {
    if (c == '(') {
      ++depth;
    } else if (c == ')' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      s += c;
    }
  }
  std::string_view v = s;
  v = TrimView(v.substr(0, v.find(';')));
  const auto slash = v.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view type = TrimView(v.substr(0, slash));
  const std::string_view sub = TrimView(v.substr(slash + 1));
  auto token = [](std::string_view t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), IsTokenChar);
  };
  return token(type) && token(sub);
}

// Raw value of header `name` of a part, or nullptr.
const char* RawHeader(GMimeObject* obj, const char* name) {
  GMimeHeaderList* list = g_mime_object_get_header_list(obj);
  if (list == nullptr) return nullptr;
  GMimeHeader* h = g_mime_header_list_get_header(list, name);
  return h != nullptr ? g_mime_header_get_raw_value(h) : nullptr;
}

}  // namespace

void PartWalker::Note(std::string error) {
  if (out_->parse_errors.size() < 64) out_->parse_errors.push_back(std::move(error));
}

bool PartWalker::CountPart() {
  if (parts_ >= opts_.max_parts) {
    if (!parts_limit_hit_)
      Note("more than " + std::to_string(opts_.max_parts) + " MIME parts: rest ignored");
    parts_limit_hit_ = true;
    return false;
  }
  ++parts_;
  return true;
}

void PartWalker::NoteType(const std::string& type) {
  if (type == "message/delivery-status" || type == "message/global-delivery-status")
    signals_.delivery_status = true;
  else if (type == "text/rfc822-headers" || type == "message/global-headers")
    signals_.rfc822_headers = true;
  else if (type == "message/rfc822" || type == "message/global")
    signals_.returned_message = true;
  else if (type == "message/disposition-notification" ||
           type == "message/global-disposition-notification")
    signals_.disposition_notification = true;
}

// Depth-first in document order. Only leaf parts (and embedded messages)
// count against max_parts: containers hold nothing a reader sees. Nesting
// beyond max_mime_depth is noted as hostile but still read, so the text at
// the bottom of a 1,000-deep tree is kept.
void PartWalker::Visit(GMimeObject* top) {
  struct Frame {
    GMimeObject* obj;
    std::size_t depth;
    bool in_alternative;
  };
  std::vector<Frame> stack{{top, 0, false}};
  while (!stack.empty() && !parts_limit_hit_) {
    const Frame f = stack.back();
    stack.pop_back();
    if (f.obj == nullptr) continue;
    if (f.depth > opts_.max_mime_depth && !depth_limit_hit_) {
      Note("MIME nesting deeper than " + std::to_string(opts_.max_mime_depth) +
           ": parts below read as if flat");
      depth_limit_hit_ = true;
    }
    const std::string type = MimeType(f.obj);
    NoteType(type);
    if (GMIME_IS_MULTIPART(f.obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(f.obj);
      const bool alt = type == "multipart/alternative";
      const int n = g_mime_multipart_get_count(mp);
      if (n == 0) Note("empty " + type);
      for (int i = n - 1; i >= 0; --i)
        stack.push_back({g_mime_multipart_get_part(mp, i), f.depth + 1, alt});
    } else if (GMIME_IS_MESSAGE_PART(f.obj)) {
      if (CountPart()) EmbeddedMessage(GMIME_MESSAGE_PART(f.obj));
    } else if (GMIME_IS_PART(f.obj)) {
      if (CountPart()) Leaf(GMIME_PART(f.obj), f.in_alternative);
    }
  }
}

void PartWalker::DecodedBytes(GMimePart* part, const std::string& content_type,
                              std::string* storage, std::string_view* view) {
  *view = {};
  std::string copy;
  const std::optional<EncodedContent> content = PartContent(part, &copy);
  if (!content) return;
  const std::string_view raw = content->bytes;
  const GMimeContentEncoding enc = content->encoding;
  switch (enc) {
    case GMIME_CONTENT_ENCODING_BASE64:
      if (const char* damage = MeasureBase64(raw).damage) Note(content_type + " part: " + damage);
      *storage = Decode(enc, raw);
      *view = *storage;
      return;
    case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
    case GMIME_CONTENT_ENCODING_UUENCODE:
      *storage = Decode(enc, raw);
      *view = *storage;
      return;
    default:
      if (copy.empty()) {
        *view = raw;
      } else {
        *storage = std::move(copy);
        *view = *storage;
      }
      return;
  }
}

// RFC 2045 section 5.2: a syntactically invalid Content-Type ("text",
// garbage) is read as text/plain; charset=us-ascii, not as an unnamed
// application/octet-stream.
std::string PartWalker::EffectiveType(GMimeObject* obj) {
  const char* raw = RawHeader(obj, "Content-Type");
  std::string type = MimeType(obj);
  if (raw == nullptr || IsValidContentType(raw)) return type;
  // Damage after a type GMime could read ("image/png\"") keeps that type:
  // the sender did say what the part is.
  if (IsValidContentType(type) && Lower(std::string(TrimView(raw)).c_str()).rfind(type, 0) == 0)
    return type;
  std::string shown = ToUtf8(TrimView(raw), "utf-8");
  if (shown.size() > 60) shown.resize(60);
  Note("invalid Content-Type \"" + shown + "\": read as text/plain (RFC 2045 5.2)");
  return "text/plain";
}

// An attachment that may be a whole message sent without the message/rfc822
// type (an Outlook .msg, an .eml typed application/octet-stream or
// text/plain) is decoded whole so that SniffAttachedItem can look at it;
// every other one is only streamed through its digest.
bool PartWalker::MayHoldMessage(const std::string& type, const char* filename) {
  if (type == "application/vnd.ms-outlook" || type == "application/x-msg") return true;
  const bool named = filename != nullptr && *filename != 0;
  if (!named) return type == "application/octet-stream" || type == "text/plain";
  const std::string name = Lower(filename);
  auto ends_with = [&](const char* ext) {
    const std::size_t n = std::strlen(ext);
    return name.size() >= n && name.compare(name.size() - n, n, ext) == 0;
  };
  return ends_with(".eml") || ends_with(".msg");
}

// Decodes only the first kSniffBytes (and estimates the decoded size from
// the encoded one): a 100 MB unnamed octet-stream that is not a message is
// then hashed as it streams, never held decoded.
bool PartWalker::SniffsAsMessage(GMimePart* part, const std::string& type, const char* filename) {
  std::string copy;
  const std::optional<EncodedContent> content = PartContent(part, &copy);
  if (!content) return false;
  const std::string_view raw = content->bytes;
  const GMimeContentEncoding enc = content->encoding;
  // Base64 decodes to about 3/4 of its size, the others to at most theirs.
  const std::size_t decoded_estimate =
      enc == GMIME_CONTENT_ENCODING_BASE64 ? raw.size() / 4 * 3 : raw.size();
  if (decoded_estimate > kMaxAttachedItemBytes + kMaxAttachedItemBytes / 16) return false;
  std::string prefix;
  if (content->encoded()) {
    GMimeEncoding state;
    g_mime_encoding_init_decode(&state, enc);
    // Enough encoded input for kSniffBytes of output, whatever the encoding.
    const std::string_view head = raw.substr(0, std::min(raw.size(), 4 * kSniffBytes));
    prefix.resize(g_mime_encoding_outlen(&state, head.size()) + 16);
    prefix.resize(g_mime_encoding_step(&state, head.data(), head.size(), prefix.data()));
  } else {
    prefix.assign(raw.substr(0, std::min(raw.size(), kSniffBytes)));
  }
  if (prefix.size() > kSniffBytes) prefix.resize(kSniffBytes);
  return SniffAttachedItem(type, filename != nullptr ? filename : "", prefix) != ItemKind::kNone;
}

void PartWalker::Leaf(GMimePart* part, bool in_alternative) {
  GMimeObject* obj = GMIME_OBJECT(part);
  const std::string type = EffectiveType(obj);
  NoteType(type);
  const bool text = type == "text/plain" || type == "text/html";
  const bool attachment_disp = Lower(g_mime_object_get_disposition(obj)) == "attachment";
  const char* filename = g_mime_part_get_filename(part);
  const bool named = filename != nullptr && *filename != 0;
  const bool tnef = IsTnef(type, filename);
  if (!tnef && (!text || attachment_disp) &&
      (!MayHoldMessage(type, filename) || !SniffsAsMessage(part, type, filename))) {
    AddStreamedAttachment(part, type);
    return;
  }
  std::string storage;
  std::string_view bytes;
  DecodedBytes(part, type, &storage, &bytes);
  if (tnef && UnpackTnef(named ? filename : "winmail.dat", bytes)) return;
  if (!text || attachment_disp) {
    AddAttachment(part, type, bytes);
    return;
  }
  // RFC 2183: a text part not marked attachment is shown, whether or not it
  // carries a filename (Thunderbird sends attached .txt files inline with
  // one, Outlook for Mac the whole body). Its text joins the body; with a
  // filename it is also listed, marked inline, so the file stays there.
  if (TextBody(part, type, bytes, in_alternative) && named) AddAttachment(part, type, bytes, true);
}

bool PartWalker::TextBody(GMimePart* part, const std::string& type, std::string_view bytes,
                          bool in_alternative) {
  GMimeObject* obj = GMIME_OBJECT(part);
  const bool plain = type == "text/plain";
  const char* charset = g_mime_object_get_content_type_parameter(obj, "charset");
  // body_text is cut at max_body_text_bytes anyway: converting all of a
  // 100 MB text part first would cost two more copies of it. Cut at a line
  // end so no character is split.
  std::string_view input = bytes;
  if (plain && input.size() > opts_.max_body_text_bytes) {
    std::size_t cut = input.rfind('\n', opts_.max_body_text_bytes);
    if (cut != std::string_view::npos) {
      ++cut;
    } else {  // one huge line: at least do not split a UTF-8 sequence
      cut = opts_.max_body_text_bytes;
      while (cut > 0 && (static_cast<unsigned char>(input[cut]) & 0xC0) == 0x80) --cut;
    }
    input = input.substr(0, cut);
    Note("text/plain part of " + std::to_string(bytes.size()) + " bytes truncated to " +
         std::to_string(input.size()) + " bytes before conversion");
  }
  std::string problem;
  std::string text = StripCr(ToUtf8(input, charset != nullptr ? charset : "", &problem));
  if (!problem.empty()) Note(type + " part: " + problem);
  if (body_charset_.empty() && charset != nullptr) body_charset_ = charset;
  if (plain) {
    if (!have_plain_) {
      out_->body_text = std::move(text);
      have_plain_ = true;
      return true;
    }
    if (in_alternative) return false;
    // Some clients split one body around inline images or attached text
    // files into several text/plain parts of a multipart/mixed: keep all.
    if (!out_->body_text.empty() && out_->body_text.back() != '\n') out_->body_text += '\n';
    out_->body_text += text;
    return true;
  }
  if (!have_html_) {
    out_->body_html = std::move(text);
    have_html_ = true;
    return true;
  }
  if (!in_alternative) AddAttachment(part, type, bytes);
  return false;
}

bool PartWalker::IsTnef(const std::string& content_type, const char* filename) {
  if (content_type == "application/ms-tnef" || content_type == "application/vnd.ms-tnef")
    return true;
  return filename != nullptr && g_ascii_strcasecmp(filename, "winmail.dat") == 0;
}

// The files inside winmail.dat replace it in the attachment list (each marked
// with its container); its body is kept for messages that have no other.
bool PartWalker::UnpackTnef(const std::string& container, std::string_view bytes) {
  TnefContents tnef;
  if (!DecodeTnef(bytes, &tnef)) {
    Note("TNEF part could not be decoded: kept as an attachment");
    return false;
  }
  for (TnefFile& f : tnef.files) {
    Attachment a;
    a.filename = ToUtf8(f.filename, "utf-8");
    a.content_type = std::move(f.content_type);
    a.size = f.data.size();
    a.sha256 = util::Sha256Hex(f.data);
    a.container = ToUtf8(container, "utf-8");
    out_->attachments.push_back(std::move(a));
  }
  if (tnef_body_.empty()) tnef_body_ = std::move(tnef.body_text);
  return true;
}

void PartWalker::PushAttachment(GMimePart* part, const std::string& content_type,
                                std::uint64_t size, std::string sha256, bool shown_inline) {
  GMimeObject* obj = GMIME_OBJECT(part);
  Attachment a;
  if (const char* f = g_mime_part_get_filename(part); f != nullptr) a.filename = ToUtf8(f, "utf-8");
  a.content_type = content_type;
  a.size = size;
  a.sha256 = std::move(sha256);
  if (const char* cid = g_mime_object_get_content_id(obj); cid != nullptr)
    a.content_id = ToUtf8(cid, "utf-8");
  a.inline_image = shown_inline || (content_type.rfind("image/", 0) == 0 &&
                                    Lower(g_mime_object_get_disposition(obj)) == "inline");
  out_->attachments.push_back(std::move(a));
}

void PartWalker::AddAttachment(GMimePart* part, const std::string& content_type,
                               std::string_view bytes, bool shown_inline) {
  PushAttachment(part, content_type, bytes.size(), util::Sha256Hex(bytes), shown_inline);
  if (SniffAttachedItem(content_type, out_->attachments.back().filename, bytes) != ItemKind::kNone)
    out_->attached_items.emplace_back(bytes);  // a mistyped .eml or an Outlook .msg
}

// Attachments are only hashed: decode them a chunk at a time instead of
// holding a decoded copy beside the raw bytes (a 100 MB attachment would
// otherwise cost another 75 MB at once). Without hash_attachments, base64
// is not decoded at all: only measured and checked.
void PartWalker::AddStreamedAttachment(GMimePart* part, const std::string& content_type) {
  std::string copy;
  const std::optional<EncodedContent> content = PartContent(part, &copy);
  if (!opts_.hash_attachments) {
    std::uint64_t size = 0;
    if (content && content->encoding == GMIME_CONTENT_ENCODING_BASE64) {
      const Base64Measure b64 = MeasureBase64(content->bytes);
      size = b64.decoded_size;
      if (b64.damage != nullptr) Note(content_type + " part: " + b64.damage);
    } else if (content && content->encoded()) {  // quoted-printable, uuencode: rare, small
      size = Decode(content->encoding, content->bytes).size();
    } else if (content) {
      size = content->bytes.size();
    }
    PushAttachment(part, content_type, size, std::string());
    return;
  }
  util::Sha256Stream sum;
  std::uint64_t size = 0;
  auto feed = [&](const char* data, std::size_t n) {
    sum.Update(std::string_view(data, n));
    size += n;
  };
  if (content) {
    const std::string_view raw = content->bytes;
    const GMimeContentEncoding enc = content->encoding;
    if (content->encoded()) {
      const bool base64 = enc == GMIME_CONTENT_ENCODING_BASE64;
      GMimeEncoding state;
      g_mime_encoding_init_decode(&state, enc);
      std::string buf(g_mime_encoding_outlen(&state, kReadChunk) + 16, '\0');
      for (std::size_t off = 0; off < raw.size(); off += kReadChunk) {
        const std::size_t len = std::min(kReadChunk, raw.size() - off);
        feed(buf.data(), g_mime_encoding_step(&state, raw.data() + off, len, buf.data()));
      }
      feed(buf.data(), g_mime_encoding_flush(&state, "", 0, buf.data()));
      if (const char* damage = base64 ? MeasureBase64(raw).damage : nullptr)
        Note(content_type + " part: " + damage);
    } else {
      feed(raw.data(), raw.size());
    }
  }
  PushAttachment(part, content_type, size, sum.FinishHex());
}

void PartWalker::EmbeddedMessage(GMimeMessagePart* mp) {
  GMimeObject* obj = GMIME_OBJECT(mp);
  GMimeMessage* inner = g_mime_message_part_get_message(mp);
  if (inner == nullptr) {
    Note(MimeType(obj) + " part without a message");
    return;
  }
  // GMime keeps raw header values and content substreams, so writing the
  // untouched object back reproduces the embedded bytes.
  GByteArray* array = g_byte_array_new();
  GObjectPtr<GMimeStream> mem(g_mime_stream_mem_new_with_byte_array(array));  // owns array
  g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
  std::string raw(reinterpret_cast<const char*>(array->data), array->len);

  Attachment a;
  if (const char* f = g_mime_object_get_content_disposition_parameter(obj, "filename"))
    a.filename = ToUtf8(f, "utf-8");
  else if (const char* n = g_mime_object_get_content_type_parameter(obj, "name"))
    a.filename = ToUtf8(n, "utf-8");
  a.content_type = MimeType(obj);
  a.size = raw.size();
  a.sha256 = util::Sha256Hex(raw);
  if (const char* cid = g_mime_object_get_content_id(obj); cid != nullptr)
    a.content_id = ToUtf8(cid, "utf-8");
  out_->attachments.push_back(std::move(a));
  out_->attached_messages.push_back(std::move(raw));
}

void PartWalker::MarkReferencedImages() {
  if (out_->body_html.empty()) return;
  for (Attachment& a : out_->attachments) {
    if (a.inline_image || a.content_id.empty() || a.content_type.rfind("image/", 0) != 0) continue;
    if (out_->body_html.find("cid:" + a.content_id) != std::string::npos) a.inline_image = true;
  }
}

}  // namespace mime::detail
