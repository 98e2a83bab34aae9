// The one implementation of ReadTxn/WriteTxn, over an LMDB transaction that
// Store owns. Read-only transactions use the same class; Store hands them
// out as ReadTxn& so the write methods are unreachable.
#pragma once

#include <lmdb.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "store/schema.h"
#include "store/store.h"

namespace store::detail {

// Handles of the named databases, opened once at Store::Open. A database
// absent from an old store opened read-only, or an older schema's raw
// database that this store never had, has present == false and reads as
// empty.
struct Dbis {
  std::array<MDB_dbi, kDbCount> dbi{};
  std::array<bool, kDbCount> present{};
};

class TxnImpl final : public WriteTxn {
 public:
  // REQUIRES: `txn` and `dbis` outlive this object; `txn` is read-write
  // when `writable`.
  TxnImpl(MDB_txn* txn, const Dbis& dbis, bool writable)
      : txn_(txn), dbis_(dbis), writable_(writable) {}

  // ReadTxn
  std::optional<MessageRecord> GetMessage(std::uint64_t id) override;
  std::optional<MessageRecord> GetMessageHead(std::uint64_t id) override;
  std::optional<TicketRecord> GetTicket(std::uint64_t id) override;
  std::optional<std::uint64_t> FindBySource(std::string_view account,
                                            std::string_view source_key) override;
  std::vector<std::uint64_t> FindByMessageId(std::string_view message_id) override;
  std::vector<std::uint64_t> FindByFingerprint(std::string_view fingerprint) override;
  std::vector<std::uint64_t> FindByContent(std::string_view content_digest) override;
  std::optional<std::string> GetRaw(std::string_view sha256_hex) override;
  std::optional<Checkpoint> GetCheckpoint(std::string_view account,
                                          std::string_view folder) override;
  std::optional<std::string> GetAccount(std::string_view name) override;
  void ForEachTicket(const std::function<bool(const TicketRecord&)>& fn) override;
  void ForEachMessage(const std::function<bool(const MessageRecord&)>& fn) override;
  void ForEachEvent(std::uint64_t after_seq, const std::function<bool(const Event&)>& fn) override;
  std::optional<OutageRecord> GetOutage(std::uint64_t id) override;
  void ForEachOutage(const std::function<bool(const OutageRecord&)>& fn) override;
  std::optional<std::string> GetSecret(std::string_view name) override;
  void ForEachIntakeLog(std::uint64_t after_seq,
                        const std::function<bool(const IntakeLogRecord&)>& fn) override;
  std::uint64_t TicketCount() override;
  std::uint64_t MessageCount() override;
  util::Status error() const override { return read_error_; }

  // WriteTxn
  std::uint64_t AllocateTicketId() override;
  std::uint64_t AllocateMessageId() override;
  using WriteTxn::PutMessage;
  util::Status PutMessage(const MessageRecord& rec, SourceIndex source) override;
  util::Status PutTicket(const TicketRecord& rec) override;
  util::Status PutRaw(std::string_view sha256_hex, std::string_view bytes) override;
  util::Status PutRaw(std::string_view sha256_hex, const PackedBlob& packed) override;
  util::Status PutCheckpoint(std::string_view account, std::string_view folder,
                             const Checkpoint& cp) override;
  util::Status PutAccount(std::string_view name, std::string_view value) override;
  util::Status AppendEvent(std::int64_t at, std::string_view type,
                           std::string_view data_json) override;
  std::uint64_t AllocateOutageId() override;
  util::Status PutOutage(const OutageRecord& rec) override;
  util::Status PutSecret(std::string_view name, std::string_view sealed) override;
  util::Status DeleteSecret(std::string_view name) override;
  util::Status AppendIntakeLog(const IntakeLogRecord& rec) override;

  // Some put met MDB_MAP_FULL: Store::Write grows the map and reruns the
  // callback whatever it returned.
  bool map_full() const { return map_full_; }
  MDB_txn* raw_txn() const { return txn_; }
  // The first failed put or counter update. A transaction with a failed
  // write is never committed, even when the callback swallowed the error.
  const util::Status& write_error() const { return write_error_; }

 private:
  // Fills `out` (lifetime: LMDB's, see FromVal) and returns true when found.
  // Misses return false; failures also land in read_error_.
  bool Get(Db db, std::string_view key, std::string_view label, std::string_view& out);
  // What a put does when the key (for msgid_index: the key/value pair)
  // is already there. kAppend: the key must sort after every key of the
  // database (MDB_APPEND), anything else is an error.
  enum class Exists { kOverwrite, kKeep, kError, kAppend };
  util::Status Put(Db db, std::string_view key, std::string_view value, Exists exists,
                   std::string_view label);
  // Appends (MDB_APPEND) `head` followed by `body`, written straight into
  // LMDB's page (MDB_RESERVE): a large raw message is not first joined
  // into one string. Plain tables only (MDB_RESERVE excludes MDB_DUPSORT).
  util::Status AppendJoined(Db db, std::string_view key, std::string_view head,
                            std::string_view body, std::string_view label);
  util::Status Del(Db db, std::string_view key, const std::string* value, std::string_view label);
  util::Status RequireWritable();
  util::Status WriteFailed(util::Status s);
  void ReadFailed(util::Status s);
  std::uint64_t Allocate(std::string_view counter);
  // The counter's next value (1 when absent); nullopt after an error.
  std::optional<std::uint64_t> PeekCounter(std::string_view counter);
  // Walks `db` in key order from `start` (empty: the first key); `fn`
  // returns false to stop.
  template <class Fn>
  void Scan(Db db, std::string_view start, Fn&& fn);
  std::uint64_t Entries(Db db);
  // The ids stored under `key` in a MDB_DUPSORT index, oldest first.
  std::vector<std::uint64_t> FindDups(Db db, std::string_view key);
  // The bytes of a packed value; nullopt (and read_error_) when it does not unpack.
  std::optional<std::string> Unpacked(Db db, std::string_view label, std::string_view stored);

  MDB_txn* txn_;
  const Dbis& dbis_;
  bool writable_;
  bool map_full_ = false;
  util::Status write_error_;
  util::Status read_error_;
};

}  // namespace store::detail
