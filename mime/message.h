// mime::Message: one parsed email in plain C++ types. No GMime type
// appears here; mime/parser.cpp does the GMime work.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace mime {

struct Address {
  std::string name;     // display name, UTF-8, may be empty
  std::string address;  // addr-spec as written, e.g. "jane@example.com"; lower-casing is the
                        // caller's choice
};

struct Attachment {
  std::string filename;      // RFC 2231 / RFC 2047 decoded, UTF-8; may be empty
  std::string content_type;  // "type/subtype", lower case
  std::uint64_t size = 0;    // decoded bytes
  // Hex of the decoded bytes. Empty when ParseOptions::hash_attachments was
  // off and this part was only streamed past (a non-text attachment).
  std::string sha256;
  std::string content_id;  // without angle brackets, may be empty
  // Shown inline: an image with Content-Disposition inline or referenced as
  // cid: from the HTML, or a text part whose text is also in body_text.
  bool inline_image = false;
  // Where the file was unpacked from: "winmail.dat" (the TNEF part's filename)
  // for files inside an Outlook TNEF part; empty for ordinary MIME parts.
  std::string container;
};

// Values are stored on disk (store/ keeps the number): never renumber.
enum class Classification : std::uint8_t {
  kNormal = 0,
  kAutoReply = 1,  // RFC 3834 Auto-Submitted, X-Autoreply, out-of-office
  kBounce = 2,     // multipart/report delivery-status, MAILER-DAEMON, empty Return-Path
  kBulk = 3,       // List-Id, Precedence: bulk/list/junk
};
const char* ClassificationName(Classification c);  // "normal", "auto-reply", "bounce", "bulk"

struct Message {
  Address from;
  std::vector<Address> to, cc, reply_to;
  std::string subject;               // RFC 2047 decoded, UTF-8, unfolded
  std::optional<std::int64_t> date;  // Date: as Unix seconds (UTC); nullopt if absent/unparseable
  int date_tz_offset_minutes = 0;    // the zone written in Date: (e.g. +0200 -> 120)
  std::string message_id;            // without angle brackets; empty if absent
  std::string in_reply_to;           // first msg-id, without angle brackets
  std::vector<std::string> references;     // msg-ids, without angle brackets, in order
  std::optional<std::string> return_path;  // "" for "<>"; nullopt when the header is absent

  std::string
      body_text;  // UTF-8 text: text/plain, or readable text from HTML when only HTML exists
  std::string body_html;  // first text/html part, UTF-8 (empty when none)
  bool body_from_html = false;

  std::vector<Attachment> attachments;
  // message/rfc822 parts (forward as attachment), raw bytes of each, outermost first.
  std::vector<std::string> attached_messages;
  // Attachments that hold a message without being typed message/rfc822 (an
  // .eml sent as application/octet-stream or text/plain, an Outlook .msg):
  // decoded bytes, in attachment order, also listed in `attachments`.
  // mime::UnwrapForward reads them (mime/detail/attached_item.h).
  std::vector<std::string> attached_items;

  Classification classification = Classification::kNormal;
  std::string classification_reason;  // e.g. "Auto-Submitted: auto-replied"

  // Non-fatal problems met while parsing (bad base64, unknown charset,
  // missing headers, truncated multipart). Empty for clean mail.
  std::vector<std::string> parse_errors;

  // Raw header lookup for later stages (forward detection, X-Forwarded-For,
  // Resent-*). Names are kept as written; values are raw (undecoded) and unfolded.
  // Top-level fields only, in wire order (Content-* included). RFC 2047 words
  // stay encoded, but values are always valid UTF-8: stray 8-bit bytes are
  // decoded with the body's charset, else windows-1252; a NUL byte in the
  // header block becomes U+FFFD (it would otherwise end the value).
  std::vector<std::pair<std::string, std::string>> headers;
  // First value of header `name` (case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const;
};

// Limits against hostile input (Dovecot's habit): named, with defaults.
struct ParseOptions {
  // Nesting deeper than this is noted in parse_errors; its parts are still
  // read (the walk is iterative), so text at the bottom is kept.
  std::size_t max_mime_depth = 32;
  // Leaf parts (and embedded messages) read; multipart containers do not count.
  std::size_t max_parts = 10000;
  std::size_t max_body_text_bytes =
      4 << 20;  // body_text is truncated beyond this (noted in parse_errors)
  // Decode and hash every attachment (Attachment::sha256). Off, a non-text
  // attachment that cannot hold a message is not decoded at all: its size
  // is worked out from the base64 (exact for undamaged data; damage is
  // noted either way) and its sha256 left empty. Ingest turns it
  // off: decoding and hashing attachments nobody has opened yet was a sixth
  // of the client's CPU on realistic support mail (docs/BENCHMARKS.md); the
  // views hash them when they show a message.
  bool hash_attachments = true;
};

// Parses one RFC 5322 message. Never crashes on malformed input: damage is
// reported in Message::parse_errors; a Status with kInvalidArgument is
// returned only when nothing usable is there (empty input, no header and no
// body, binary garbage with no header field at all).
// Thread-safe once mime::Init() has run.
util::Result<Message> Parse(std::string_view raw, const ParseOptions& opts = {});

// Initialises GMime once per process; Parse() calls it on first use.
void Init();

}  // namespace mime
