// recovery::Prepare and the outcome of filing: one message from any channel
// (IMAP fetch, replay, the intake) to a stored message and its ticket
// change. Parsing and, for intake input, unwrapping the forward (Prepare)
// run outside the write transaction, in parallel; the one filing routine,
// recovery::File (recovery/intake.h), runs inside it, on the single writer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mime/forward.h"
#include "mime/message.h"
#include "recovery/ticket_tag.h"
#include "store/store.h"
#include "util/bytes.h"
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
  // Mail sent to the intake address: Prepare unwraps a forward, File applies
  // the intake rules.
  bool intake = false;
  // The input as people name it (a file path, "stdin"), for the intake log
  // and problem reports; empty: the source key names it.
  std::string input{};
};

// A parsed message waiting for the writer. Owns its raw bytes. Everything
// that does not depend on what is already stored is worked out here, on
// the parse threads, so the single writer only decides and copies.
struct Prepared {
  Source source;
  // Empty: Prepare drops its reference once the bytes are parsed and
  // packed (packed_raw shares them, or holds their LZ4 block, for the
  // store), so no stage keeps two copies.
  util::Bytes raw;
  std::uint64_t raw_size = 0;  // of the bytes as received
  std::string sha256;
  store::PackedBlob packed_raw;  // raw, ready for WriteTxn::PutRaw
  // nullopt when parsing failed. Without body_text, body_html and
  // attached_messages: filing does not read them (digests are taken first).
  std::optional<mime::Message> message;
  util::Status parse_status;  // why parsing failed
  std::string fingerprint;    // of `message` (recovery/fingerprint.h)
  // recovery/fingerprint.h ContentDigest of `message`, or RawContentDigest
  // when it did not parse: what the dedupe compares. Empty for support mail
  // with a Message-ID (its attachments were not decoded): the writer works
  // it out when that Message-ID is stored already.
  std::string content_digest;
  // Intake input only: the forward inside `message`, and the fingerprint of
  // its original (recovery/fingerprint.h), worked out here so the writer
  // only decides.
  std::optional<mime::Forwarded> forwarded;
  std::string original_fingerprint;
};

// Parses and packs `raw`. Thread-safe.
Prepared Prepare(Source source, util::Bytes raw, const mime::ParseOptions& opts = {});

// Why a message counted as one already stored (README "Dedupe").
enum class DuplicateRule {
  kNone,
  kSameSource,               // same account and source key (folder/UIDVALIDITY/UID, file digest)
  kSameMessageIdAndContent,  // same Message-ID and same content digest
  kSameMessageIdRecovered,   // same Message-ID as an original the intake recovered from a forward
  kSameContent,              // no Message-ID: same content digest (raw digest when unparseable)
};
const char* DuplicateRuleName(DuplicateRule r);

struct Outcome {
  enum class Kind {
    kNewTicket,      // opened ticket `ticket_id`
    kThreaded,       // joined ticket `ticket_id`; detail says by what
    kIgnored,        // auto-reply, bounce, bulk: stored, no ticket; detail = reason
    kUnprocessable,  // stored raw with the error; detail = error
    kDuplicate,      // already stored as `message_id`; nothing written but the event
    kEmpty,          // 0 bytes: nothing to keep, nothing written
    kRejected,       // intake: the forward is kept raw with the reason, no ticket
  };
  Kind kind = Kind::kEmpty;
  std::uint64_t message_id = 0;
  std::uint64_t ticket_id = 0;
  std::string detail;                              // for people; never parsed back
  DuplicateRule duplicate = DuplicateRule::kNone;  // kDuplicate: the rule that matched
  // Stored although another message of the account has its Message-ID (the
  // content differs): the first such message's id. Threaded with it.
  std::uint64_t reuses_message_id_of = 0;
  // kIgnored: why (auto-reply, bounce, bulk).
  mime::Classification classification = mime::Classification::kNormal;
  // Intake input: what the intake made of it (kNone for support mail).
  enum class Intake {
    kNone,
    kRecovered,     // an allowed forward: its original filed (kNewTicket / kThreaded),
                    // or found already stored (kDuplicate), or too old (kRejected)
    kUnauthorized,  // a forward from a stranger: filed as ordinary mail, flagged
    // a forward whose From: is allowed but that nothing the receiving side
    // recorded vouches for (recovery/forwarder_auth.h): filed as ordinary
    // mail, flagged "unauthenticated forward"
    kUnauthenticated,
    kNotForward,  // ordinary mail on the intake account
  };
  Intake intake = Intake::kNone;
  bool undated = false;  // intake: the original's date is unknown (flagged)
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

namespace detail {

// Whether FileSupport indexes a content source key (Source::content_key).
// The Message-ID finds the same mail again, so by default such a key is
// indexed only for mail without one; the intake indexes every key, as its
// log must not change when the same input comes again.
enum class ContentKeys { kIndexWithoutMessageId, kIndexAll };

// The support-mail branch of recovery::File (call File, not this): stores
// `p` in `txn`: dedupe (README "Dedupe": same source; same Message-ID and
// same content; no Message-ID and same content), then thread by ticket tag,
// In-Reply-To, References, or the message whose Message-ID it reuses; else
// a new ticket. A duplicate writes only a "message.duplicate" event naming
// the input and the stored message. Ignored and unprocessable mail is
// stored with its reason. REQUIRES: the caller commits `txn`.
util::Result<Outcome> FileSupport(store::WriteTxn& txn, const Prepared& p,
                                  const IngestOptions& opts,
                                  ContentKeys content_keys = ContentKeys::kIndexWithoutMessageId);

}  // namespace detail
}  // namespace recovery
