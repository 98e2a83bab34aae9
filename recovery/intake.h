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

struct IntakeOptions {
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

struct IntakeOutcome {
  // "accepted" (new ticket), "appended", "duplicate", "rejected",
  // "unauthorized" (a forward from a stranger: filed as ordinary mail),
  // "unauthenticated" (a forward whose From: is allowed but that nothing the
  // receiving side recorded vouches for: filed as ordinary mail, flagged
  // "unauthenticated forward"),
  // "not-forward" (ordinary mail), "unprocessable", "empty".
  std::string decision;
  std::string reason;
  std::uint64_t ticket_id = 0;
  std::uint64_t message_id = 0;
  bool undated = false;  // accepted without a recoverable original date (flagged)
};

bool ForwarderAllowed(const std::vector<std::string>& allowed, const std::string& address);

// `p.source.received_at` is the intake's receipt time (the 14-day rule is
// measured against it). `input` names the source in the log.
util::Result<IntakeOutcome> CommitIntake(store::WriteTxn& txn, const Prepared& p,
                                         const IntakeOptions& opts, const std::string& input);

}  // namespace recovery
