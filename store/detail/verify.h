// The walk behind store::Verify, run by Store inside its read transaction.
// Internal to store/.
#pragma once

#include "store/detail/lmdb.h"
#include "store/detail/txn.h"
#include "store/verify.h"

namespace store::detail {

util::Status VerifyTxn(MDB_txn* txn, const Dbis& dbis, const VerifyOptions& opts,
                       VerifyReport& report);

}  // namespace store::detail
