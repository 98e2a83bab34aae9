#include "mime/detail/parts.h"

#include <cstring>

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

// GMime's base64 decoder silently skips junk; say when the data was damaged.
const char* Base64Damage(std::string_view enc) {
  std::size_t quantum = 0;
  bool junk = false;
  for (char c : enc) {
    if (g_ascii_isalnum(c) || c == '+' || c == '/' || c == '=')
      ++quantum;
    else if (c != '\r' && c != '\n' && c != ' ' && c != '\t')
      junk = true;
  }
  if (junk) return "invalid characters in base64 data";
  if (quantum % 4 != 0) return "truncated base64 data";
  return nullptr;
}

std::string Decode(GMimeContentEncoding enc, std::string_view raw) {
  GMimeEncoding state;
  g_mime_encoding_init_decode(&state, enc);
  std::string out(g_mime_encoding_outlen(&state, raw.size()) + 16, '\0');
  const std::size_t n = g_mime_encoding_flush(&state, raw.data(), raw.size(), out.data());
  out.resize(n);
  return out;
}

// CRLF -> LF, and a CR at the very end dropped; a lone CR stays. Copies
// the runs between CRs whole: mail from IMAP has one per line.
std::string StripCr(std::string s) {
  std::size_t cr = s.find('\r');
  if (cr == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  std::size_t from = 0;
  for (; cr != std::string::npos; cr = s.find('\r', cr + 1)) {
    if (cr + 1 < s.size() && s[cr + 1] != '\n') continue;  // a lone CR is text
    out.append(s, from, cr - from);
    from = cr + 1;
  }
  out.append(s, from, std::string::npos);
  return out;
}

}  // namespace

void PartWalker::Note(std::string error) {
  if (out_->parse_errors.size() < 64) out_->parse_errors.push_back(std::move(error));
}

void PartWalker::Visit(GMimeObject* obj, std::size_t depth, bool in_alternative) {
  if (obj == nullptr) return;
  if (++parts_ > opts_.max_parts) {
    if (!parts_limit_hit_)
      Note("more than " + std::to_string(opts_.max_parts) + " MIME parts: rest ignored");
    parts_limit_hit_ = true;
    return;
  }
  if (depth > opts_.max_mime_depth) {
    if (!depth_limit_hit_)
      Note("MIME nesting deeper than " + std::to_string(opts_.max_mime_depth) + ": rest ignored");
    depth_limit_hit_ = true;
    return;
  }
  if (GMIME_IS_MULTIPART(obj)) {
    GMimeMultipart* mp = GMIME_MULTIPART(obj);
    const bool alt = MimeType(obj) == "multipart/alternative";
    const int n = g_mime_multipart_get_count(mp);
    if (n == 0) Note("empty " + MimeType(obj));
    for (int i = 0; i < n; ++i) Visit(g_mime_multipart_get_part(mp, i), depth + 1, alt);
  } else if (GMIME_IS_MESSAGE_PART(obj)) {
    EmbeddedMessage(GMIME_MESSAGE_PART(obj));
  } else if (GMIME_IS_PART(obj)) {
    Leaf(GMIME_PART(obj), in_alternative);
  }
}

void PartWalker::DecodedBytes(GMimePart* part, const std::string& content_type,
                              std::string* storage, std::string_view* view) {
  *view = {};
  GMimeDataWrapper* w = g_mime_part_get_content(part);
  if (w == nullptr) return;
  GMimeStream* stream = g_mime_data_wrapper_get_stream(w);
  if (stream == nullptr) return;
  std::string_view raw;
  std::string copy;
  if (!MemView(stream, &raw)) {
    copy = ReadAll(stream);
    raw = copy;
  }
  const GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(w);
  switch (enc) {
    case GMIME_CONTENT_ENCODING_BASE64:
      if (const char* damage = Base64Damage(raw)) Note(content_type + " part: " + damage);
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

void PartWalker::Leaf(GMimePart* part, bool in_alternative) {
  GMimeObject* obj = GMIME_OBJECT(part);
  const std::string type = MimeType(obj);
  const bool plain = type == "text/plain";
  const bool html = type == "text/html";
  const bool attachment_disp = Lower(g_mime_object_get_disposition(obj)) == "attachment";
  const char* filename = g_mime_part_get_filename(part);
  const bool named = filename != nullptr && *filename != 0;
  std::string storage;
  std::string_view bytes;
  DecodedBytes(part, type, &storage, &bytes);
  if (IsTnef(type, filename) && UnpackTnef(named ? filename : "winmail.dat", bytes)) return;
  if ((!plain && !html) || attachment_disp || named) {
    AddAttachment(part, type, bytes);
    return;
  }
  const char* charset = g_mime_object_get_content_type_parameter(obj, "charset");
  std::string problem;
  std::string text = StripCr(ToUtf8(bytes, charset != nullptr ? charset : "", &problem));
  if (!problem.empty()) Note(type + " part: " + problem);
  if (body_charset_.empty() && charset != nullptr) body_charset_ = charset;
  if (plain) {
    if (!have_plain_) {
      out_->body_text = std::move(text);
      have_plain_ = true;
    } else if (!in_alternative) {
      // Some clients split one body around inline images into several
      // text/plain parts of a multipart/mixed: keep all of them.
      if (!out_->body_text.empty() && out_->body_text.back() != '\n') out_->body_text += '\n';
      out_->body_text += text;
    }
    return;
  }
  if (!have_html_) {
    out_->body_html = std::move(text);
    have_html_ = true;
  } else if (!in_alternative) {
    AddAttachment(part, type, bytes);
  }
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

void PartWalker::AddAttachment(GMimePart* part, const std::string& content_type,
                               std::string_view bytes) {
  GMimeObject* obj = GMIME_OBJECT(part);
  Attachment a;
  if (const char* f = g_mime_part_get_filename(part); f != nullptr) a.filename = ToUtf8(f, "utf-8");
  a.content_type = content_type;
  a.size = bytes.size();
  a.sha256 = util::Sha256Hex(bytes);
  if (const char* cid = g_mime_object_get_content_id(obj); cid != nullptr)
    a.content_id = ToUtf8(cid, "utf-8");
  a.inline_image =
      content_type.rfind("image/", 0) == 0 && Lower(g_mime_object_get_disposition(obj)) == "inline";
  if (SniffAttachedItem(content_type, a.filename, bytes) != ItemKind::kNone)
    out_->attached_items.emplace_back(bytes);  // a mistyped .eml or an Outlook .msg
  out_->attachments.push_back(std::move(a));
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
