// Walks a GMime MIME tree into Message body/attachments. Internal to mime/.
#pragma once

#include <gmime/gmime.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "mime/classify.h"
#include "mime/message.h"

namespace mime::detail {

class PartWalker {
 public:
  // `out` must outlive the walker.
  PartWalker(const ParseOptions& opts, Message* out) : opts_(opts), out_(out) {}

  // Fills body_text (text/plain only), body_html, attachments and
  // attached_messages; limits and damage go to parse_errors. Iterative: a
  // hostile nesting depth costs heap, not stack.
  void Walk(GMimeObject* top) { Visit(top); }

  // After body_html is final: image attachments whose Content-ID the HTML
  // references as cid: are inline images.
  void MarkReferencedImages();

  // Charset label of the first text body part ("" when none): the best
  // guess for 8-bit bytes in headers.
  const std::string& body_charset() const { return body_charset_; }

  // What the MIME tree held that says "machine-made report" (classify.h).
  const PartSignals& signals() const { return signals_; }

  // Body text found inside a TNEF (winmail.dat) part, "" when none: used
  // when the message has no text/plain or text/html body of its own.
  const std::string& tnef_body() const { return tnef_body_; }

 private:
  void Visit(GMimeObject* top);
  bool CountPart();  // false once max_parts leaf parts were taken
  void NoteType(const std::string& type);
  std::string EffectiveType(GMimeObject* obj);
  void Leaf(GMimePart* part, bool in_alternative);
  // Puts a shown text part into the body; true when its text was used.
  bool TextBody(GMimePart* part, const std::string& type, std::string_view bytes,
                bool in_alternative);
  void EmbeddedMessage(GMimeMessagePart* mp);
  void AddAttachment(GMimePart* part, const std::string& content_type, std::string_view bytes,
                     bool shown_inline = false);
  void PushAttachment(GMimePart* part, const std::string& content_type, std::uint64_t size,
                      std::string sha256, bool shown_inline = false);
  // An attachment hashed while it is decoded, never held whole.
  void AddStreamedAttachment(GMimePart* part, const std::string& content_type);
  // Transfer-decoded bytes of the part in *view, which points into *storage
  // or into the parser's stream (valid while the GMime message lives). Bad
  // base64 is noted.
  void DecodedBytes(GMimePart* part, const std::string& content_type, std::string* storage,
                    std::string_view* view);
  void Note(std::string error);
  static bool IsTnef(const std::string& content_type, const char* filename);
  static bool MayHoldMessage(const std::string& type, const char* filename);
  // SniffAttachedItem on the first decoded bytes of `part` only: whether
  // it is worth decoding whole.
  bool SniffsAsMessage(GMimePart* part, const std::string& type, const char* filename);
  bool UnpackTnef(const std::string& container, std::string_view bytes);

  const ParseOptions& opts_;
  Message* out_;
  std::size_t parts_ = 0;
  bool parts_limit_hit_ = false;
  bool depth_limit_hit_ = false;
  bool have_plain_ = false;
  bool have_html_ = false;
  std::string body_charset_;
  std::string tnef_body_;
  PartSignals signals_;
};

}  // namespace mime::detail
