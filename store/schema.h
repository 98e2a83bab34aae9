// The on-disk layout of the deskmail store: one LMDB environment
// (data.mdb + lock.mdb) in the data directory, holding the named databases
// below. This file is the manual for anyone reading the store with other
// tools (mdb_dump, a migration script); keep it in step with the code.
//
// GENERAL RULES
//   * Integers in keys are 8-byte big-endian, so LMDB's default byte order
//     is numeric order and cursors walk ids oldest first.
//   * Composite keys join their parts with one '\0' byte. Account names and
//     folder names never contain '\0' (puts that would break this are
//     refused with kInvalidArgument).
//   * A key longer than kMaxKeyBytes (LMDB's compile-time limit of 511) is
//     folded: its first kMaxKeyBytes-33 bytes, a 0xFF byte, then the 32 raw
//     bytes of its SHA-256. Lookups fold the same way, so callers never see
//     it. This only happens for hostile Message-IDs or absurd folder names.
//   * Record values are MessagePack maps (nlohmann::json::to_msgpack) with
//     short field names and an integer field "v", the record version. A
//     reader accepts v <= the version it knows and fills absent fields with
//     defaults; it treats a newer v, a wrong field type or undecodable bytes
//     as corruption: getters return std::nullopt and iterations skip the
//     record (see store/store.h), nothing is logged.
//   * Everything one fetched message changes (message, raw bytes, ticket,
//     indexes, checkpoint, event) goes in one write transaction
//     (ARCHITECTURE.md invariant 1); Store::Write is the only writer.
//
// ERRORS TO HANDLE (on every Write)
//   kIOError     disk full (ENOSPC/EFBIG), EIO, or the map reached
//                Options::max_map_size. The transaction was not committed;
//                the store is unchanged and stays usable.
//   kCorruption  an LMDB page or meta check failed (MDB_CORRUPTED,
//                MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_VERSION_MISMATCH), or the
//                schema version is newer than this binary (at Open).
//   kInternal    a programming error surfaced by LMDB (MDB_BAD_TXN, ...).
//   MDB_MAP_FULL and MDB_MAP_RESIZED never reach callers: Store grows or
//   re-reads the map size and retries.
//
// THE NAMED DATABASES (enum values and names are stable: never renumber)
//
//   meta         key: ASCII name. value: 8-byte big-endian uint64.
//                  "schema_version"   kSchemaVersion, stamped by the first
//                                     writable Open; checked at every Open.
//                  "next_ticket_id"   next id AllocateTicketId returns (absent = 1)
//                  "next_message_id"  likewise for AllocateMessageId
//                  "next_event_seq"   likewise for AppendEvent
//                  "next_outage_id"   likewise for AllocateOutageId
//                  "next_intake_seq"  likewise for AppendIntakeLog
//                  "next_raw_seq"     likewise for PutRaw (raw_blobs keys)
//                Counters move inside the caller's write transaction, so an
//                aborted transaction hands its ids back.
//                Writer: store/ only.
//   tickets      key: ticket id. value: TicketRecord, kTicketVersion.
//                Writer: WriteTxn::PutTicket (recovery/ ticket matching).
//   messages     key: message id. value: MessageRecord, kMessageVersion,
//                without body_text (v2; a v1 record carries it inline as
//                "b" and still decodes). Lookups while threading decode
//                many of these, so they stay small.
//                Writer: WriteTxn::PutMessage, which also maintains
//                bodies, source_index, msgid_index and fingerprint_index.
//   bodies       key: message id. value: MessageRecord::body_text (UTF-8),
//                packed as in raw_blobs. Absent when the text is empty,
//                which it is when the text is the raw message's own
//                (MessageRecord::text_in_raw): only text that came from
//                elsewhere, the intake's unwrapped originals, is kept.
//                Writer: WriteTxn::PutMessage only.
//   raw          schema 1 only, read as a fallback: key: the 32 raw bytes
//                of the SHA-256 of the message. value: the message bytes
//                exactly as received. Later schemas never write it.
//   raw_packed   schema 2 only, read as a fallback: key: the 32 raw bytes
//                of the SHA-256 of the message. value: the bytes packed
//                as in raw_blobs. Schema 3 never writes it.
//   raw_blobs    key: raw sequence number (meta "next_raw_seq"). value:
//                the message bytes exactly as received, packed
//                (store/blob.h: a format byte, then the bytes or an LZ4
//                block). Append-only (MDB_APPEND), so a commit writes
//                these pages once, side by side, instead of rewriting
//                leaves all over a tree sorted by digest.
//                Writer: WriteTxn::PutRaw only.
//   raw_index    key: the 32 raw bytes of the SHA-256 of the message.
//                value: its raw sequence number. This is the content
//                address: GetRaw(digest) follows it to raw_blobs and checks
//                what it unpacks against the digest. No version: never
//                rewritten. Writer: WriteTxn::PutRaw (a second put of the
//                same digest is a no-op).
//   msgid_index  MDB_DUPSORT. key: Message-ID without angle brackets (folded
//                when long). values: message ids, so duplicates are sorted
//                oldest first. Empty Message-IDs are not indexed.
//                Writer: PutMessage only.
//   fingerprint_index  MDB_DUPSORT. key: MessageRecord::fingerprint (64 hex
//                chars, recovery/fingerprint.h). values: message ids, oldest
//                first. Empty fingerprints are not indexed. Used by the
//                intake to spot a forwarded copy of mail already stored.
//                Writer: PutMessage only.
//   content_index  MDB_DUPSORT. key: MessageRecord::content_digest (64 hex
//                chars, recovery/fingerprint.h ContentDigest). values:
//                message ids, oldest first. Empty digests are not indexed
//                (records written before it existed have none, nor mail
//                with a Message-ID: recovery/ works theirs out from the
//                raw bytes when the Message-ID repeats). Used by
//                the dedupe to recognise the same mail under another
//                source. Created by the first writable Open of an older
//                store; a read-only open of one finds nothing here.
//                Writer: PutMessage only.
//   source_index key: account '\0' source_key (folded when long).
//                value: message id. One message per source: a put of a
//                second message with a used source key is refused
//                (kInvalidArgument) -- that is the re-delivery guard.
//                Not every record's key is here: a put with
//                SourceIndex::kSkip leaves it out (recovery/ skips keys
//                that only repeat the content digest of mail it finds
//                again by Message-ID).
//                Writer: PutMessage only.
//   sync         key: account '\0' folder. value: Checkpoint, kCheckpointVersion.
//                Writer: WriteTxn::PutCheckpoint, in the same transaction as
//                the messages it covers.
//   accounts     key: account name. value: opaque bytes owned by recovery/
//                (token health, reauth clock). Writer: WriteTxn::PutAccount.
//   events       key: event seq. value: Event, kEventVersion. Append-only.
//                Writer: WriteTxn::AppendEvent.
//   secrets      key: secret name, e.g. "refresh_token:support" (folded when
//                long; never empty). value: opaque sealed bytes from
//                store::SecretBox (store/secret_box.h documents that format:
//                version byte, nonce, ciphertext, GCM tag). The store never
//                sees a secret in clear and cannot check these bytes; a
//                blob that fails to open is reported by SecretBox::Open.
//                Writer: WriteTxn::PutSecret / DeleteSecret (engine/ token
//                handling). Store a rotated refresh token in the same
//                transaction that records the rotation.
//   outages      key: outage id. value: OutageRecord, kOutageVersion.
//                Writer: WriteTxn::PutOutage (recovery/ token health opens
//                and closes them; backfill updates `recovered`). Records
//                are never deleted: a closed outage is history.
//   intake_log   key: intake seq. value: IntakeLogRecord, kIntakeLogVersion
//                (the seq is the key, not stored in the value). Append-only.
//                Writer: WriteTxn::AppendIntakeLog (recovery/ intake).
//
// MAP SIZE
//   The map starts at Options::initial_map_size (or the size already used
//   by the file) and doubles on MDB_MAP_FULL up to Options::max_map_size.
//   Growing needs no transaction active in this process: Store::Write waits
//   for running Reads in this process before it grows the map, so keep Read
//   callbacks short. Other processes pick the new size up by themselves
//   (MDB_MAP_RESIZED).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace store {

// Bump when a change needs a migration; an older binary then refuses the
// store instead of misreading it.
//   1  first version
//   2  message text moved out of the message record into `bodies`, and
//      kept only when it is not the raw message's own (text_in_raw); raw
//      mail and text packed (LZ4) in `raw_packed` and `bodies`. A
//      version-1 store is upgraded by restamping at the first writable
//      Open: its v1 records still decode and its `raw` is still read.
//   3  raw mail appended to `raw_blobs` under a sequence number and found
//      by digest through `raw_index`, instead of sitting in `raw_packed`
//      sorted by digest (whose random inserts rewrote leaves all over the
//      file at every commit). Upgraded by restamping: `raw_packed` is
//      still read.
inline constexpr std::uint64_t kSchemaVersion = 3;

// Record versions (the "v" field).
inline constexpr std::uint64_t kMessageVersion = 2;  // v1 had body_text inline ("b")
inline constexpr std::uint64_t kTicketVersion = 1;
inline constexpr std::uint64_t kCheckpointVersion = 1;
inline constexpr std::uint64_t kEventVersion = 1;
inline constexpr std::uint64_t kOutageVersion = 1;
inline constexpr std::uint64_t kIntakeLogVersion = 1;

inline constexpr std::size_t kMaxKeyBytes = 511;

// Index into the table of named databases. Never renumber.
enum class Db : std::uint8_t {
  kMeta = 0,
  kTickets = 1,
  kMessages = 2,
  kRawV1 = 3,  // "raw": schema 1, read only
  kMsgidIndex = 4,
  kSourceIndex = 5,
  kSync = 6,
  kAccounts = 7,
  kEvents = 8,
  kSecrets = 9,
  kOutages = 10,
  kIntakeLog = 11,
  kFingerprintIndex = 12,
  kBodies = 13,
  kRawV2 = 14,  // "raw_packed": schema 2, read only
  kRawIndex = 15,
  kRawBlobs = 16,
  kContentIndex = 17,
};
inline constexpr std::size_t kDbCount = 18;

// The LMDB name of each database, indexed by Db.
inline constexpr std::string_view kDbNames[kDbCount] = {
    "meta",         "tickets",    "messages",          "raw",    "msgid_index",
    "source_index", "sync",       "accounts",          "events", "secrets",
    "outages",      "intake_log", "fingerprint_index", "bodies", "raw_packed",
    "raw_index",    "raw_blobs",  "content_index",
};

inline constexpr std::string_view DbName(Db db) { return kDbNames[static_cast<int>(db)]; }

// Keys of the meta database.
inline constexpr std::string_view kMetaSchemaVersion = "schema_version";
inline constexpr std::string_view kMetaNextTicketId = "next_ticket_id";
inline constexpr std::string_view kMetaNextMessageId = "next_message_id";
inline constexpr std::string_view kMetaNextEventSeq = "next_event_seq";
inline constexpr std::string_view kMetaNextOutageId = "next_outage_id";
inline constexpr std::string_view kMetaNextIntakeSeq = "next_intake_seq";
inline constexpr std::string_view kMetaNextRawSeq = "next_raw_seq";

}  // namespace store
