// recovery::Ingest: one message from any channel (IMAP fetch, replay) to a
// stored message and its ticket change. Parsing (Prepare) runs outside the
// write transaction, in parallel; Commit runs inside it, on the single writer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mime/message.h"
#include "recovery/ticket_tag.h"
#include "store/store.h"
#include "util/result.h"

namespace recovery {

struct Source {
  std::string account;
  // See store::MessageRecord::source_key. Empty: Prepare makes one from the
  // content ("sha256:" + digest) and sets content_key.
  std::string source_key;
  std::string channel;  // "imap", "replay", ...
  std::int64_t received_at = 0;
  bool content_key = false;
  std::int64_t arrived_at = 0;  // IMAP INTERNALDATE; 0 when unknown (MessageRecord::arrived_at)
};

// A parsed message waiting for the writer. Owns its raw bytes. Everything
// that does not depend on what is already stored is worked out here, on
// the parse threads, so the single writer only decides and copies.
struct Prepared {
  Source source;
  std::string raw;
  std::string sha256;
  store::PackedBlob packed_raw;          // raw, ready for WriteTxn::PutRaw
  std::optional<mime::Message> message;  // nullopt when parsing failed
  util::Status parse_status;             // why parsing failed
  std::string fingerprint;               // of `message` (recovery/fingerprint.h)
};

// Parses and packs `raw`. Thread-safe.
Prepared Prepare(Source source, std::string raw, const mime::ParseOptions& opts = {});

struct Outcome {
  enum class Kind {
    kNewTicket,      // opened ticket `ticket_id`
    kThreaded,       // joined ticket `ticket_id`; detail says by what
    kIgnored,        // auto-reply, bounce, bulk: stored, no ticket; detail = reason
    kUnprocessable,  // stored raw with the error; detail = error
    kDuplicate,      // already stored as `message_id`; nothing written
    kEmpty,          // 0 bytes: nothing to keep, nothing written
  };
  Kind kind = Kind::kEmpty;
  std::uint64_t message_id = 0;
  std::uint64_t ticket_id = 0;
  std::string detail;
};
const char* OutcomeName(Outcome::Kind k);

struct IngestOptions {
  TicketTag tag;
  // For text the store keeps (the intake's unwrapped originals); mail that
  // is its own raw message keeps no copy of its text (text_in_raw).
  std::size_t max_stored_body_bytes = 256 << 10;
};

// Addresses are stored lower-cased (ASCII) so lookups by requester are exact.
std::string LowerAscii(std::string s);
// At most `max` bytes, cut on a UTF-8 character boundary.
std::string TruncateUtf8(const std::string& s, std::size_t max);

// Whether Commit indexes a content source key (Source::content_key). The
// Message-ID finds the same mail again, so by default such a key is
// indexed only for mail without one; the intake indexes every key, as its
// log must not change when the same input comes again.
enum class ContentKeys { kIndexWithoutMessageId, kIndexAll };

// Stores `p` in `txn`: dedupe by (account, source key) and by Message-ID in
// the same account, then thread by ticket tag, In-Reply-To, References;
// else a new ticket. Ignored and unprocessable mail is stored with its reason.
// Appends the matching events. REQUIRES: the caller commits `txn`.
util::Result<Outcome> Commit(store::WriteTxn& txn, const Prepared& p, const IngestOptions& opts,
                             ContentKeys content_keys = ContentKeys::kIndexWithoutMessageId);

}  // namespace recovery
