// The polling process: one worker thread per account, each independent (one
// account's failure never stops another). A worker connects, syncs every
// folder, then waits in IDLE (where offered) or sleeps poll_interval_s, and
// reconnects with exponential backoff and jitter after a failure.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <stop_token>
#include <string>

#include "engine/config.h"
#include "engine/sync.h"
#include "recovery/ingest.h"
#include "store/store.h"
#include "util/clock.h"

namespace engine {

struct PollerOptions {
  bool once = false;     // one pass per account, then return
  int once_retries = 8;  // with once: reconnects after transient failures
  SyncOptions sync;      // limits come from each account's fetch_batch_* keys
  std::chrono::milliseconds backoff_min{1000};
  std::chrono::milliseconds backoff_max{300'000};
  std::chrono::minutes idle_max{25};  // RFC 2177: re-issue IDLE before 29 minutes
  std::chrono::milliseconds connect_timeout{15'000};
  std::chrono::milliseconds io_timeout{120'000};
};

struct AccountResult {
  bool ok = false;
  util::Status last_error;
  SyncStats totals;
};

// Runs until `stop` is requested (or, with opts.once, after one pass).
// Returns per-account results of the last pass.
std::map<std::string, AccountResult> RunPoller(store::Store& store, const Config& cfg,
                                               const recovery::IngestOptions& ingest,
                                               const PollerOptions& opts, const util::Clock& clock,
                                               std::stop_token stop);

// Delay before reconnect attempt `attempt` (0-based): min * 2^attempt capped
// at max, with +-25% jitter from `random01` in [0,1). Exposed for tests.
std::chrono::milliseconds Backoff(int attempt, std::chrono::milliseconds min,
                                  std::chrono::milliseconds max, double random01);

}  // namespace engine
