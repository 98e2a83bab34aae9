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

#include "store/records.h"
#include "util/result.h"

namespace store {

struct Options {
  std::uint64_t initial_map_size = 64ull << 20;  // grown on MDB_MAP_FULL
  std::uint64_t max_map_size = 1ull << 40;
  bool read_only = false;  // CLI readers: open without creating
  bool no_sync = false;    // tests only: skip fsync at commit
};

// Getters shared by read and write transactions. Returned records are
// copies: they stay valid after the transaction ends.
class ReadTxn {
 public:
  virtual ~ReadTxn() = default;

  virtual std::optional<MessageRecord> GetMessage(std::uint64_t id) = 0;
  virtual std::optional<TicketRecord> GetTicket(std::uint64_t id) = 0;
  // Message ids stored for `account` under `source_key`.
  virtual std::optional<std::uint64_t> FindBySource(std::string_view account,
                                                    std::string_view source_key) = 0;
  // Every stored message (any account) with this Message-ID, oldest first.
  virtual std::vector<std::uint64_t> FindByMessageId(std::string_view message_id) = 0;
  virtual std::optional<std::string> GetRaw(std::string_view sha256_hex) = 0;
  virtual std::optional<Checkpoint> GetCheckpoint(std::string_view account,
                                                  std::string_view folder) = 0;
  // Opaque per-account record (recovery/ owns its format).
  virtual std::optional<std::string> GetAccount(std::string_view name) = 0;

  // Iteration in id order; the callback returns false to stop.
  virtual void ForEachTicket(const std::function<bool(const TicketRecord&)>& fn) = 0;
  virtual void ForEachMessage(const std::function<bool(const MessageRecord&)>& fn) = 0;
  virtual void ForEachEvent(std::uint64_t after_seq,
                            const std::function<bool(const Event&)>& fn) = 0;
  virtual std::uint64_t TicketCount() = 0;
  virtual std::uint64_t MessageCount() = 0;
};

class WriteTxn : public ReadTxn {
 public:
  virtual std::uint64_t AllocateTicketId() = 0;
  virtual std::uint64_t AllocateMessageId() = 0;
  // Inserts or replaces; maintains the source and Message-ID indexes.
  // REQUIRES: rec.id was allocated in this store.
  virtual util::Status PutMessage(const MessageRecord& rec) = 0;
  virtual util::Status PutTicket(const TicketRecord& rec) = 0;
  // Content-addressed: a second put of the same digest is a no-op.
  virtual util::Status PutRaw(std::string_view sha256_hex, std::string_view bytes) = 0;
  virtual util::Status PutCheckpoint(std::string_view account, std::string_view folder,
                                     const Checkpoint& cp) = 0;
  virtual util::Status PutAccount(std::string_view name, std::string_view value) = 0;
  // Assigns the sequence number.
  virtual util::Status AppendEvent(std::int64_t at, std::string_view type,
                                   std::string_view data_json) = 0;
};

class Store {
 public:
  // Opens (creating unless opts.read_only) the store in directory `dir`.
  // Checks the schema version: a store written by a newer deskmail is
  // refused with kCorruption rather than misread.
  static util::Result<std::unique_ptr<Store>> Open(const std::string& dir,
                                                   const Options& opts = {});
  virtual ~Store() = default;

  // Runs `fn` in one write transaction and commits when it returns OK;
  // aborts (nothing written) when it returns an error. When LMDB reports
  // MDB_MAP_FULL (inside fn or at commit) the map is grown and `fn` is run
  // again from the start in a fresh transaction, so nothing is lost.
  // REQUIRES: fn has no side effects outside `txn` that matter if re-run.
  // Thread-safety: callers serialise (LMDB allows one writer at a time).
  virtual util::Status Write(const std::function<util::Status(WriteTxn&)>& fn) = 0;
  // Runs `fn` in a read-only snapshot.
  virtual util::Status Read(const std::function<util::Status(ReadTxn&)>& fn) = 0;

  virtual std::string dir() const = 0;
  virtual std::uint64_t map_size() const = 0;
};

}  // namespace store
