// Two digests of a parsed message, for two different questions.
//
// Fingerprint: a loose match that survives a manual forward: the same
// sender, subject and body text give the same value even when a mail client
// re-wrapped lines, changed whitespace or quoted the body. Only the intake
// uses it, to spot a forwarded copy of mail already stored (confirmed by
// date within 2 minutes). Never used to drop mail that arrived directly.
//
// ContentDigest: an exact match, "is this the same mail": every byte of the
// decoded text and HTML bodies, every attachment (its decoded bytes' digest,
// type and name), attached messages, and the identity headers (From, To,
// Cc, Subject, Date, Message-ID, In-Reply-To, References). Trace headers a
// copy gathers in transit (Received, Delivered-To, Return-Path, X-*, DKIM
// and ARC signatures) are not part of it, so the same mail delivered to two
// folders, or rescanned after a UIDVALIDITY change, has one digest.
// Prepare takes it for mail without a Message-ID (looked up by it) and for
// the intake; for other mail the writer takes it only when the Message-ID
// is already stored (recovery/ingest.cpp ContentDigestOf), since decoding
// every attachment up front was a sixth of the client's CPU.
#pragma once

#include <string>
#include <string_view>

#include "mime/message.h"

namespace recovery {

// Hex SHA-256 of the normalised (sender, subject, body); "" when the sender
// is empty (nothing to match on).
std::string Fingerprint(std::string_view from_address, std::string_view subject,
                        std::string_view body_text);

// Hex SHA-256 over the whole content of `m` (see above). Line endings are
// normalised (CRLF and CR to LF) and trailing blanks of each line dropped,
// since a transfer re-encoding changes exactly those; nothing else is.
std::string ContentDigest(const mime::Message& m);

// For mail that did not parse: its raw bytes are all there is, so the raw
// digest (hex) is the content, in its own domain so it never equals a
// ContentDigest.
std::string RawContentDigest(std::string_view raw_sha256_hex);

}  // namespace recovery
