// store::Store: the LMDB environment behind deskmail.
//
// One writer at a time (LMDB's rule); any number of readers, in this or
// other processes, see the last committed state and never block the writer.
// No LMDB type appears in this header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/blob.h"
#include "store/records.h"
#include "util/result.h"

namespace store {

struct VerifyOptions;
struct VerifyReport;

struct Options {
  std::uint64_t initial_map_size = 64ull << 20;  // grown on MDB_MAP_FULL
  std::uint64_t max_map_size = 1ull << 40;
  bool read_only = false;  // CLI readers: open without creating
  bool no_sync = false;    // tests only: skip fsync at commit
};

// Getters shared by read and write transactions. Returned records are
// copies: they stay valid after the transaction ends. A getter returns
// nullopt both for a miss and for a record that does not decode; error()
// tells the two apart. Ownership: Store owns the transaction; the
// reference given to a callback is valid only during that callback.
class ReadTxn {
 public:
  virtual ~ReadTxn() = default;

  virtual std::optional<MessageRecord> GetMessage(std::uint64_t id) = 0;
  // The record without body_text: cheap, for lookups that need ids,
  // addresses or the ticket (the text is stored apart from the record).
  virtual std::optional<MessageRecord> GetMessageHead(std::uint64_t id) = 0;
  virtual std::optional<TicketRecord> GetTicket(std::uint64_t id) = 0;
  // Message ids stored for `account` under `source_key`.
  virtual std::optional<std::uint64_t> FindBySource(std::string_view account,
                                                    std::string_view source_key) = 0;
  // Every stored message (any account) with this Message-ID, oldest first.
  virtual std::vector<std::uint64_t> FindByMessageId(std::string_view message_id) = 0;
  // Every stored message with this content fingerprint (MessageRecord::fingerprint).
  virtual std::vector<std::uint64_t> FindByFingerprint(std::string_view fingerprint) = 0;
  // Every stored message with this content digest (MessageRecord::content_digest).
  virtual std::vector<std::uint64_t> FindByContent(std::string_view content_digest) = 0;
  virtual std::optional<std::string> GetRaw(std::string_view sha256_hex) = 0;
  virtual std::optional<Checkpoint> GetCheckpoint(std::string_view account,
                                                  std::string_view folder) = 0;
  // Opaque per-account record (recovery/ owns its format).
  virtual std::optional<std::string> GetAccount(std::string_view name) = 0;

  // Iteration in id order; the callback returns false to stop.
  virtual void ForEachTicket(const std::function<bool(const TicketRecord&)>& fn) = 0;
  // Messages come without body_text, as from GetMessageHead.
  virtual void ForEachMessage(const std::function<bool(const MessageRecord&)>& fn) = 0;
  virtual void ForEachEvent(std::uint64_t after_seq,
                            const std::function<bool(const Event&)>& fn) = 0;
  virtual std::optional<OutageRecord> GetOutage(std::uint64_t id) = 0;
  // Outages in id order (every account); the callback returns false to stop.
  virtual void ForEachOutage(const std::function<bool(const OutageRecord&)>& fn) = 0;
  // Sealed bytes (store/secret_box.h seals and opens them); nullopt when absent.
  virtual std::optional<std::string> GetSecret(std::string_view name) = 0;
  virtual void ForEachIntakeLog(std::uint64_t after_seq,
                                const std::function<bool(const IntakeLogRecord&)>& fn) = 0;
  virtual std::uint64_t TicketCount() = 0;
  virtual std::uint64_t MessageCount() = 0;

  // The first error a getter or iteration met in this transaction: a
  // record that does not decode (kCorruption, naming database and key; the
  // getter returned nullopt / the iteration skipped it) or an LMDB failure.
  // OK when every lookup either found its record or found nothing.
  virtual util::Status error() const { return util::Status::Ok(); }
};

// Every put either succeeds, or fails with kInvalidArgument before writing
// anything (the transaction stays usable), or fails inside LMDB (the
// transaction is doomed: Store::Write will not commit it; MDB_MAP_FULL is
// retried there). Errors name the database and key, e.g.
// "put tickets/17: MDB_MAP_FULL: Environment mapsize limit reached".
class WriteTxn : public ReadTxn {
 public:
  // Next id from a counter in this transaction: 1, 2, 3, ... An aborted
  // transaction gives its ids back. 0 when the counter could not be
  // updated (the transaction is then doomed).
  virtual std::uint64_t AllocateTicketId() = 0;
  virtual std::uint64_t AllocateMessageId() = 0;
  // How PutMessage treats rec.source_key. kSkip leaves a new key out of
  // source_index (FindBySource will not find it): for keys that only
  // repeat what another index already finds, such as the content digest
  // of mail that has a Message-ID.
  enum class SourceIndex { kIndex, kSkip };
  // Inserts or replaces; maintains the source and Message-ID indexes
  // (moving entries when a re-put changes either key; an empty source_key
  // or message_id is not indexed). kInvalidArgument when rec.id was never
  // allocated, the account name contains NUL, or (kIndex) another message
  // already holds (account, source_key) -- the re-delivery guard.
  // REQUIRES: rec.id was allocated in this store.
  util::Status PutMessage(const MessageRecord& rec) { return PutMessage(rec, SourceIndex::kIndex); }
  virtual util::Status PutMessage(const MessageRecord& rec, SourceIndex source) = 0;
  // Inserts or replaces. kInvalidArgument when rec.id was never allocated.
  virtual util::Status PutTicket(const TicketRecord& rec) = 0;
  // Content-addressed: a second put of the same digest is a no-op.
  // kInvalidArgument unless sha256_hex is 64 hex digits.
  // REQUIRES: sha256_hex == util::Sha256Hex(bytes) (not re-checked).
  virtual util::Status PutRaw(std::string_view sha256_hex, std::string_view bytes) = 0;
  // The same with the bytes packed ahead (store/blob.h).
  virtual util::Status PutRaw(std::string_view sha256_hex, const PackedBlob& packed) = 0;
  // Replaces the folder's checkpoint. Write it in the transaction that
  // stores the messages it covers (exactly once).
  virtual util::Status PutCheckpoint(std::string_view account, std::string_view folder,
                                     const Checkpoint& cp) = 0;
  virtual util::Status PutAccount(std::string_view name, std::string_view value) = 0;
  virtual std::uint64_t AllocateOutageId() = 0;
  // Inserts or replaces. REQUIRES: rec.id was allocated in this store.
  virtual util::Status PutOutage(const OutageRecord& rec) = 0;
  // `sealed` is ciphertext from store::SecretBox: the store never sees a
  // secret in clear.
  virtual util::Status PutSecret(std::string_view name, std::string_view sealed) = 0;
  virtual util::Status DeleteSecret(std::string_view name) = 0;
  // Assigns the next intake log sequence number (1, 2, 3, ...).
  virtual util::Status AppendIntakeLog(const IntakeLogRecord& rec) = 0;
  // Assigns the next sequence number (1, 2, 3, ...). kInvalidArgument
  // unless data_json is one serialized JSON object.
  virtual util::Status AppendEvent(std::int64_t at, std::string_view type,
                                   std::string_view data_json) = 0;
};

class Store {
 public:
  // Opens (creating unless opts.read_only) the store in directory `dir`;
  // a created directory gets mode 0700. Checks the schema version: a store
  // written by a newer deskmail is refused with kCorruption rather than
  // misread; a fresh store is stamped. A read-only open of a missing
  // directory or store is kNotFound and creates nothing. A read-only
  // Store may run in one process while another process writes.
  // REQUIRES: at most one Store per directory per process (LMDB's rule:
  // a second environment on the same files breaks its locks).
  static util::Result<std::unique_ptr<Store>> Open(const std::string& dir,
                                                   const Options& opts = {});
  virtual ~Store() = default;

  // Runs `fn` in one write transaction and commits when it returns OK;
  // aborts (nothing written) when it returns an error, and returns that
  // error. When LMDB reports MDB_MAP_FULL (inside fn or at commit) the map
  // is doubled (up to Options::max_map_size) and `fn` is run again from
  // the start in a fresh transaction, so nothing is lost; this happens even
  // when fn swallowed the failed put's status. A put that failed inside LMDB
  // for another reason dooms the transaction: Write returns that error
  // instead of committing. Ids allocated in an aborted run are reused.
  // Errors: kIOError (disk full, I/O, map at max_map_size; the store is
  // unchanged and usable), kCorruption, kInvalidArgument (read-only store),
  // or whatever fn returned. See store/schema.h.
  // REQUIRES: fn has no side effects outside `txn` that matter if re-run;
  // fn does not call Write or Read of this store (it would deadlock); the
  // WriteTxn reference is not kept past fn.
  // Thread-safety: any thread; writers queue on an internal mutex.
  virtual util::Status Write(const std::function<util::Status(WriteTxn&)>& fn) = 0;
  // Runs `fn` in a read-only snapshot of the last commit and returns fn's
  // status. Readers never block the writer of this or another process, but
  // growing the map waits for this process's running Reads, so keep fn
  // short (no network, no waiting on the writer).
  // REQUIRES: fn does not call Write or Read of this store.
  // Thread-safety: any thread, concurrently (MDB_NOTLS).
  virtual util::Status Read(const std::function<util::Status(ReadTxn&)>& fn) = 0;

  virtual std::string dir() const = 0;
  // The current map size in bytes (grows on demand).
  virtual std::uint64_t map_size() const = 0;
  // Clears the reader slots of processes that died inside a read (their
  // slots would otherwise stay taken and pin old pages, growing the file).
  // Open and every Write already do this, and a Read that finds the table
  // full; a long-running process that reads for long without writing may
  // call it. Returns how many slots were cleared.
  // Thread-safety: any thread.
  virtual int CheckReaders() = 0;
  // The consistency check of store/verify.h (call store::Verify), in one
  // read transaction. Errors: an LMDB failure that stopped the walk.
  virtual util::Status VerifyInto(const VerifyOptions& opts, VerifyReport& report) = 0;
};

}  // namespace store
