// recovery::Intake: mail sent to the intake address, usually agents'
// manual forwards of customer mail missed during an outage. A forward from
// an allowed forwarder is unwrapped and filed as if it had arrived
// normally; anything else is ordinary mail.
//
// Matching, in order (first hit wins):
//   1. the original's Message-ID is already stored   -> duplicate
//   2. ticket tag / In-Reply-To / References          -> appended to that ticket
//   3. same sender, subject, body and date +-2 min    -> duplicate (fingerprint)
//   4. otherwise a new ticket, requester = original sender, created at the
//      original date, channel "recovered_forward", forwarder recorded, and
//      tagged with the outage of the account the original was addressed to.
// Every decision is written to the intake log in the same transaction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recovery/forwarder_auth.h"
#include "recovery/ingest.h"
#include "store/store.h"

namespace recovery {

// What the filing routine needs: the support-mail rules, and the intake's.
struct FilingOptions {
  // "@domain" (the whole domain) or "addr@domain"; compared case-insensitively.
  std::vector<std::string> allowed_forwarders;
  int forward_max_age_days = 14;
  // Who vouches for the forwarder (an allowed From: alone proves nothing).
  ForwarderAuthConfig auth;
  IngestOptions ingest;
  // Support account addresses, to find the account an original was sent to
  // (for outage tagging): {address, account name}.
  std::vector<std::pair<std::string, std::string>> account_addresses;
};
using IntakeOptions = FilingOptions;

bool ForwarderAllowed(const std::vector<std::string>& allowed, const std::string& address);

// THE filing routine, for support mail and intake input alike: dedupe,
// classify, thread, new ticket (recovery/ingest.h detail::FileSupport), and
// for intake input (p.source.intake) the intake rules above first, with
// every intake decision written to the intake log under p.source.source_key
// in the same transaction. `p.source.received_at` is the receipt time (the
// intake's age rule is measured against it). REQUIRES: the caller commits.
util::Result<Outcome> File(store::WriteTxn& txn, const Prepared& p, const FilingOptions& opts);

// The intake log's word for an outcome of intake input: "accepted",
// "appended", "duplicate", "rejected", "unauthorized", "unauthenticated",
// "not-forward",
// "unprocessable", "empty" (store::IntakeLogRecord::decision).
const char* IntakeDecisionName(const Outcome& o);

}  // namespace recovery
