// mime::UnwrapForward: recognises a manually forwarded message (inline header
// block or message/rfc822 attachment) and recovers the original message.
// Pure function of a parsed mime::Message; no GMime type appears here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mime/message.h"

namespace mime {

struct ForwardedOriginal {
  Address from;  // name + address of the original sender
  std::vector<Address> to, cc;
  // Without Fwd:/FW:/WG:/TR:/RV:/I:/ENC:/VS:/... prefixes (localized,
  // repeated, bracketed "[Fwd: ...]").
  std::string subject;
  // UTC Unix seconds. Header blocks without a zone use the OUTER message's
  // zone (Message::date_tz_offset_minutes). nullopt when absent/unparseable.
  std::optional<std::int64_t> date;
  std::string message_id;  // without <>, empty when unknown
  // The original's text, UTF-8, without the header block and without the
  // forwarder's note.
  std::string body_text;
  std::vector<Attachment> attachments;
};

enum class ForwardKind { kInline, kAttachment };

struct Forwarded {
  ForwardKind kind = ForwardKind::kInline;
  // 1 = a single forward. Nested forwards: the innermost original is
  // recovered and depth counts the layers.
  int depth = 1;
  std::string note;   // the forwarder's own text above the forward (trimmed), may be empty
  Address forwarder;  // the outer message's From
  ForwardedOriginal original;
};

// Limits against hostile input.
struct UnwrapOptions {
  std::size_t max_depth = 8;  // nested forwards followed at most this deep
};

// The forward inside `m`, or nullopt when `m` is not a forward: a quoted reply,
// a subject that merely starts with "Fwd:", server-side auto-forwarding
// (X-Forwarded-For / Resent-* with the original From kept), prose mentioning
// "From:", an underscore line in a signature... The subject prefix is only a
// hint: forwards are found from the body.
// Kind is that of the outermost layer. Thread-safe once mime::Init() has run.
std::optional<Forwarded> UnwrapForward(const Message& m, const UnwrapOptions& opts = {});

}  // namespace mime
