// The polling process: one worker thread per account, each independent (one
// account's failure never stops another). A worker connects, syncs every
// folder, then waits in IDLE (where offered) or sleeps poll_interval_s, and
// reconnects with exponential backoff and jitter after a failure.
//
// When to fetch, retry, open or close an outage and alert is decided by
// recovery::Lifecycle (docs/LIFECYCLE.md); the worker performs its actions.
// Token expiry is not a hiccup: when the identity provider says the refresh
// token is dead (invalid_grant), or IMAP rejects a freshly refreshed token,
// the worker opens an outage, stops fetching for that account, retries the
// token endpoint at most every expired_retry_hours, and resumes (backfilling
// the whole gap by UID) once `deskmail reauth` closes the outage.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <stop_token>
#include <string>

#include "config/config.h"
#include "engine/sync.h"
#include "oauth/client.h"
#include "recovery/ingest.h"
#include "store/secret_box.h"
#include "store/store.h"
#include "util/clock.h"

namespace engine {

struct PollerOptions {
  bool once = false;     // one pass per account, then return
  int once_retries = 8;  // with once: reconnects after transient failures
  std::chrono::milliseconds once_backoff_max{10'000};  // with once: a pass must end soon
  SyncOptions sync;  // limits come from each account's fetch_batch_* keys
  std::chrono::milliseconds backoff_min{1000};
  std::chrono::milliseconds backoff_max{300'000};
  std::chrono::minutes idle_max{25};  // RFC 2177: re-issue IDLE before 29 minutes
  // With once: an account still failing (or stalled) after this long since
  // the start is given up on; its result names the last error.
  std::chrono::milliseconds once_deadline{300'000};
  // Accounts logging in at the same time (engine/connect_gate.h); 0 = no bound.
  int max_concurrent_logins = 10;
  // Before its first connect an account waits a random part of this, so
  // hundreds of accounts do not all knock at the same instant.
  std::chrono::milliseconds connect_jitter{1000};
  // Connect and read timeouts are per account (config connect_timeout_s, read_timeout_s).
  std::chrono::seconds outage_check{10};  // how often a stopped account looks for a reauth
  std::shared_ptr<const store::SecretBox> secrets;  // required for OAuth accounts
  recovery::IntakeOptions intake;  // for role = "intake" accounts: the forwarded-mail rules
  oauth::HttpOptions http;
};

struct AccountResult {
  bool ok = false;
  util::Status last_error;
  SyncStats totals;
  std::uint64_t open_outage = 0;
  bool interrupted = false;  // a stop (signal, once_deadline) cut the last pass short
};

// Runs until `stop` is requested (or, with opts.once, after one pass).
// Returns per-account results of the last pass.
std::map<std::string, AccountResult> RunPoller(store::Store& store, const config::Config& cfg,
                                               const recovery::IngestOptions& ingest,
                                               const PollerOptions& opts, const util::Clock& clock,
                                               std::stop_token stop);

// Delay before reconnect attempt `attempt` (0-based): min * 2^attempt capped
// at max, with +-25% jitter from `random01` in [0,1). Exposed for tests.
std::chrono::milliseconds Backoff(int attempt, std::chrono::milliseconds min,
                                  std::chrono::milliseconds max, double random01);

}  // namespace engine
