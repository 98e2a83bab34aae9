// Typed records kept in the LMDB store. Encoding (MessagePack through
// nlohmann-json, with short field names) lives in store/codec.cpp; see
// store/schema.h for keys and versions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace store {

struct AttachmentRecord {
  std::string filename;
  std::string content_type;
  std::uint64_t size = 0;
  std::string sha256;
  bool inline_image = false;

  friend bool operator==(const AttachmentRecord&, const AttachmentRecord&) = default;
};

// Why a stored message opened or joined no ticket. Stored as a number:
// never renumber.
enum class Disposition : std::uint8_t {
  kTicket = 0,         // opened or joined a ticket (ticket_id != 0)
  kIgnored = 1,        // auto-reply / bounce / bulk: see `reason`
  kUnprocessable = 2,  // could not be parsed: raw kept, see `parse_errors`
  kRejected = 3,       // intake rule said no: see `reason`
};

struct MessageRecord {
  std::uint64_t id = 0;  // allocated by WriteTxn::AllocateMessageId
  std::string account;   // account name from the config
  // Where the message came from, unique per account:
  //   IMAP:   "imap:" FOLDER "/" UIDVALIDITY "/" UID
  //   replay: "sha256:" HEX   (the same bytes replayed twice are the same message;
  //           source_index holds it only for mail without a Message-ID, which
  //           is found again by that: WriteTxn::SourceIndex)
  std::string source_key;
  std::string channel;     // "imap", "replay", "intake", "recovered_forward"
  std::string message_id;  // without angle brackets, may be empty
  std::string in_reply_to;
  std::vector<std::string> references;
  std::string raw_sha256;  // key into the raw database
  std::uint64_t raw_size = 0;
  std::uint64_t ticket_id = 0;  // 0 when the message is on no ticket
  Disposition disposition = Disposition::kTicket;
  std::uint8_t classification = 0;  // mime::Classification value
  std::string reason;               // classification or rejection reason
  std::vector<std::string> parse_errors;
  std::string from_name;
  std::string from_address;
  std::vector<std::string> to;  // addresses only
  std::vector<std::string> cc;
  std::string subject;
  std::int64_t date = 0;         // Unix seconds from Date:, 0 when unknown
  std::int64_t received_at = 0;  // when deskmail stored it (Unix seconds)
  // When the message reached the mailbox (IMAP INTERNALDATE, Unix seconds);
  // 0 when unknown (replayed files, records older than the field). Outage
  // recovery is counted by this, not by the sender's Date:.
  std::int64_t arrived_at = 0;
  std::string body_text;  // UTF-8; empty when text_in_raw
  // The text is the raw message's own (what mime::Parse reads from it), so
  // the store keeps no copy: engine/ reads it back from the raw message.
  // False when the text came from elsewhere (the intake's unwrapped
  // originals) and is kept in body_text.
  bool text_in_raw = false;
  std::vector<AttachmentRecord> attachments;
  std::uint64_t outage_id = 0;  // set when recovered from an outage window
  std::string forwarder;        // intake: who forwarded it
  std::string fingerprint;      // recovery/fingerprint.h; indexed when not empty
  // What makes two copies "the same mail" (recovery/fingerprint.h
  // ContentDigest): body, every attachment and the identity headers, not
  // the trace headers a copy gathers in transit. Indexed when not empty.
  std::string content_digest;
  // Another stored message of this account has the same Message-ID but
  // different content: kept, threaded with it, and flagged here.
  bool message_id_reused = false;

  friend bool operator==(const MessageRecord&, const MessageRecord&) = default;
};

struct TicketRecord {
  std::uint64_t id = 0;  // allocated by WriteTxn::AllocateTicketId, starts at 1
  std::string account;
  std::string subject;
  std::string requester_name;
  std::string requester_address;
  std::int64_t created_at = 0;  // Unix seconds: first message's date (or receipt)
  std::int64_t updated_at = 0;
  std::vector<std::uint64_t> message_ids;  // in arrival order
  std::string status = "open";
  std::string channel;  // channel of the message that opened it
  std::uint64_t outage_id = 0;
  std::string forwarder;

  friend bool operator==(const TicketRecord&, const TicketRecord&) = default;
};

// Per (account, folder): the last UID committed. Written in the same
// transaction as the message it covers (exactly once).
struct Checkpoint {
  std::uint32_t uidvalidity = 0;
  std::uint32_t last_uid = 0;
  std::int64_t updated_at = 0;
  // How many passes in a row found a new UIDVALIDITY (0 when the last pass
  // found the one recorded): a server that keeps renumbering the folder.
  std::uint32_t uidvalidity_changes = 0;

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// Append-only change log, exported with `deskmail export --jsonl`.
struct Event {
  std::uint64_t seq = 0;  // allocated on append, starts at 1
  std::int64_t at = 0;
  std::string type;       // "ticket.created", "message.stored", ...
  std::string data_json;  // a JSON object, serialized

  friend bool operator==(const Event&, const Event&) = default;
};

// A window during which an account could not fetch (its OAuth token was
// expired or revoked). recovery/ opens and closes them.
struct OutageRecord {
  std::uint64_t id = 0;  // allocated by WriteTxn::AllocateOutageId, starts at 1
  std::string account;
  std::int64_t start = 0;        // the account's last successful sync before the failure
  std::int64_t end = 0;          // 0 while open; set when the account is reauthenticated
  std::int64_t detected_at = 0;  // when deskmail saw the failure
  std::string cause;             // e.g. "invalid_grant: AADSTS700082 ..." (never a token)
  std::uint64_t recovered = 0;   // messages dated inside the window fetched by backfill

  friend bool operator==(const OutageRecord&, const OutageRecord&) = default;
};

// One decision of the forwarded-mail intake (deskmail intake --log).
struct IntakeLogRecord {
  std::uint64_t seq = 0;  // allocated on append, starts at 1
  std::int64_t at = 0;
  std::string account;   // the intake account (or "intake" for the CLI/pipe)
  std::string input;     // file name, "stdin", or an IMAP source key
  std::string decision;  // "accepted" | "appended" | "duplicate" | "rejected" | "not-forward"
  std::string reason;
  std::string forwarder;  // address of who forwarded it
  std::string original_from;
  std::string original_subject;
  std::string original_message_id;
  std::int64_t original_date = 0;  // 0 when unknown
  std::uint64_t ticket_id = 0;
  std::uint64_t message_id = 0;

  friend bool operator==(const IntakeLogRecord&, const IntakeLogRecord&) = default;
};

}  // namespace store
