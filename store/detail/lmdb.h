// RAII owners of LMDB handles and the mapping of LMDB return codes to
// util::Status. Internal to store/: the only header that names MDB_* types.
#pragma once

#include <lmdb.h>

#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace store::detail {

// "put tickets/17: MDB_MAP_FULL: Environment mapsize limit reached".
// Codes: disk full / I/O -> kIOError; damaged pages -> kCorruption;
// MDB_NOTFOUND -> kNotFound; misuse (MDB_BAD_TXN, ...) -> kInternal.
util::Status LmdbError(int rc, std::string_view what);

struct EnvCloser {
  void operator()(MDB_env* env) const { mdb_env_close(env); }
};
using EnvPtr = std::unique_ptr<MDB_env, EnvCloser>;

// Owns a transaction: aborts it unless Commit() was called. Aborting a
// read-only transaction also releases its reader slot.
class Txn {
 public:
  Txn() = default;
  explicit Txn(MDB_txn* txn) : txn_(txn) {}
  Txn(Txn&& o) noexcept : txn_(o.txn_) { o.txn_ = nullptr; }
  Txn& operator=(Txn&& o) noexcept {
    if (this != &o) {
      Abort();
      txn_ = o.txn_;
      o.txn_ = nullptr;
    }
    return *this;
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() { Abort(); }

  MDB_txn* get() const { return txn_; }
  void Abort() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = nullptr;
  }
  // The handle is gone afterwards whatever the outcome (LMDB frees a
  // transaction whose commit failed).
  int Commit() {
    MDB_txn* t = txn_;
    txn_ = nullptr;
    return mdb_txn_commit(t);
  }

 private:
  MDB_txn* txn_ = nullptr;
};

// REQUIRES: a Cursor is destroyed before its transaction ends (LMDB frees
// write-transaction cursors itself at commit/abort).
struct CursorCloser {
  void operator()(MDB_cursor* c) const { mdb_cursor_close(c); }
};
using CursorPtr = std::unique_ptr<MDB_cursor, CursorCloser>;

inline MDB_val ToVal(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
// Lifetime: the view is valid until the next update in the transaction or
// its end, whichever comes first (LMDB's rule).
inline std::string_view FromVal(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

}  // namespace store::detail
