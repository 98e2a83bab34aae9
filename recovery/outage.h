// Outage windows: an account whose token is expired or revoked stops
// fetching; the window runs from its last successful sync to its
// reauthentication. Mail dated inside a window that a later backfill
// brings in is tagged with the outage id and counted as recovered.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/store.h"
#include "util/result.h"

namespace recovery {

// Opens an outage for `account` (start = its last successful sync, or `now`
// when it never synced) unless one is already open; returns the open id.
// Also appends an "outage.opened" event.
util::Result<std::uint64_t> OpenOutage(store::WriteTxn& txn, const std::string& account,
                                       const std::string& cause, std::int64_t now);

// Closes the account's open outage at `now`, after reauthentication, and
// marks the account recovering until its next complete sync. Returns the
// closed id, 0 when none was open.
util::Result<std::uint64_t> CloseOutage(store::WriteTxn& txn, const std::string& account,
                                        std::int64_t now);

// The outage of `account` whose window holds `date` (an open window has no end).
std::optional<store::OutageRecord> OutageCovering(store::ReadTxn& txn, const std::string& account,
                                                  std::int64_t date);

// Mail that arrived (rec.arrived_at, the IMAP INTERNALDATE; rec.date only
// when that is unknown) inside one of rec.account's outage windows was
// missed while its token was dead: sets rec.outage_id and counts it as
// recovered on the outage. IMAP mail fetched while the account is
// recovering (the backfill from the checkpoint the outage started at) is
// recovered by definition. The sender's Date: does not decide: delayed mail
// and wrong clocks would be miscounted.
// REQUIRES: rec is about to be stored (once) in `txn`.
util::Status TagWithOutage(store::WriteTxn& txn, store::MessageRecord& rec);

// A pass over every folder finished without error at `now`: last_sync moves,
// and a recovering account becomes active again.
util::Status RecordSyncSuccess(store::WriteTxn& txn, const std::string& account, std::int64_t now);

}  // namespace recovery
