// recovery::Lifecycle: an account's lifecycle policy as a pure state machine
// (docs/LIFECYCLE.md has the diagram and the event/action table).
//
//   active --(deadline within alert_days)--> expiring --(grant dead)--> expired
//   expired --(reauthenticated, or the grant works again)--> recovering
//   recovering --(one complete pass: the backfill)--> active
//
// The machine decides; it performs nothing. It reads no clock (every event
// carries `now`), touches no store and no network: a driver (engine/poller's
// AccountWorker) performs the actions it returns, in order, and feeds what
// happened back as events. The persistent part of the state is the account's
// AccountHealth record, which the driver reloads into every Tick (another
// process, `deskmail reauth` or the console, may have changed it).
//
// The rules it holds:
//  - Only a dead grant opens an outage: the token endpoint refusing the
//    refresh token (invalid_grant, invalid_client, interaction_required),
//    or IMAP rejecting a freshly refreshed token. A passed reauth deadline
//    stops the session and asks the token endpoint for a fresh token at
//    once; when it refuses, the outage opens (with the provider's words as
//    the cause). Network errors, timeouts and 5xx never open one.
//  - Transient failures retry with exponential backoff and jitter; a
//    server's Retry-After or throttle hint is honoured; failures that need
//    an operator (TLS, a rejected password) wait backoff_max.
//  - An expired account fetches nothing and asks the token endpoint at
//    most every expired_retry; a reauthentication elsewhere is noticed at
//    the next tick.
//  - While expiring, one alert per account per UTC day.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "recovery/token_health.h"
#include "store/store.h"
#include "util/result.h"

namespace recovery {

struct LifecyclePolicy {
  HealthPolicy health;                      // deadline arithmetic and the alert window
  std::int64_t expired_retry_s = 6 * 3600;  // expired_retry_hours
  std::chrono::milliseconds backoff_min{1000};
  std::chrono::milliseconds backoff_max{300'000};
  std::chrono::milliseconds outage_check{10'000};  // expired: how often to look for a reauth
  // `run --once`: one pass, then stop. Transient failures are retried at
  // most once_retries times with waits capped at once_backoff_max; anything
  // else, and an open outage, ends the pass.
  bool once = false;
  int once_retries = 8;
  std::chrono::milliseconds once_backoff_max{10'000};
};

struct Event {
  enum class Kind {
    kTick,              // ready for the next move; `health` is the stored record now
    kTokenOk,           // the token endpoint granted; `rotated`: a refresh-token grant
    kTokenRefused,      // the token endpoint says the grant is dead (`cause`)
    kTokenTransient,    // token endpoint unreachable, 5xx, 429 (`retry_after`)
    kNeverAuthorized,   // no refresh token stored: nothing to retry until `deskmail reauth`
    kImapAuthRejected,  // AUTHENTICATE refused; `fresh_token`: just refreshed
    kImapTransient,     // connect, I/O, timeout, BYE (`retry_after`, `access_token_expired`)
    kFailure,           // anything else; `needs_operator` (TLS, rejected password) waits long
    kSyncOk,            // one pass over every folder committed; `health` reloaded, `fetched`
    kSessionEnded,      // a Fetch ended without error (once-mode logout, stop, server close)
  };
  Kind kind = Kind::kTick;
  std::int64_t now = 0;                                  // unix seconds, every event
  std::optional<AccountHealth> health;                   // kTick (required), kSyncOk
  bool rotated = false;                                  // kTokenOk
  bool fresh_token = false;                              // kImapAuthRejected
  bool access_token_expired = false;                     // kImapTransient: refresh, come back
  bool needs_operator = false;                           // kFailure
  std::optional<std::chrono::milliseconds> retry_after;  // the server's own delay
  std::uint64_t fetched = 0;                             // kSyncOk
  std::string cause;                                     // one line, never a secret

  static Event Tick(std::int64_t now, AccountHealth h);
  static Event TokenOk(std::int64_t now, bool rotated);
  static Event TokenRefused(std::int64_t now, std::string cause);
  static Event TokenTransient(std::int64_t now, std::string cause,
                              std::optional<std::chrono::milliseconds> retry_after = {});
  static Event NeverAuthorized(std::int64_t now, std::string cause);
  static Event ImapAuthRejected(std::int64_t now, bool fresh_token, std::string cause);
  static Event ImapTransient(std::int64_t now, std::string cause,
                             std::optional<std::chrono::milliseconds> retry_after = {},
                             bool access_token_expired = false);
  static Event Failure(std::int64_t now, std::string cause, bool needs_operator);
  static Event SyncOk(std::int64_t now, AccountHealth h, std::uint64_t fetched);
  static Event SessionEnded(std::int64_t now);
};

struct Action {
  enum class Kind {
    // Side effects, performed in order:
    kOpenOutage,    // record an outage: window from `at` (last sync), `cause`; fetching stops
    kCloseOutage,   // the grant works again: close the open outage at `at`; backfill starts
    kRecordSync,    // a complete pass at `at`; ends `recovering` (the backfill is done)
    kRaiseAlert,    // the expiring alert for UTC day `at / 86400` (once a day per account)
    kWarn,          // one log line (`cause`)
    kStopFetching,  // end the current session now (only in answer to kSyncOk)
    // What to do next (at most one, always last; none after kSyncOk or
    // kTokenOk means "go on with the session"):
    kFetch,             // connect, authenticate, sync; `refresh`: get a new access token first
    kAskTokenEndpoint,  // expired: one refresh-token grant, recorded as an attempt at `at`
    kWait,              // sleep `delay`, then Tick
    kStop,              // the worker is done; `cause` empty when all went well
  };
  Kind kind = Kind::kStop;
  std::int64_t at = 0;
  std::chrono::milliseconds delay{0};
  bool refresh = false;
  std::string cause;

  bool operator==(const Action&) const = default;
};
const char* ActionKindName(Action::Kind k);  // "open_outage", "fetch", ... for logs and tests

struct Step {
  TokenState state = TokenState::kActive;  // after the event
  std::vector<Action> actions;
};

// Delay before retry `attempt` (0-based): min * 2^attempt capped at max,
// times a jitter factor in [0.75, 1.25) from `random01` in [0, 1).
std::chrono::milliseconds Backoff(int attempt, std::chrono::milliseconds min,
                                  std::chrono::milliseconds max, double random01);

// When an outage detected at `now` starts: the last successful sync, or
// `now` for an account that never synced.
std::int64_t OutageStart(const AccountHealth& h, std::int64_t now);

class Lifecycle {
 public:
  // `random01` gives the backoff jitter (tests pass a constant).
  explicit Lifecycle(LifecyclePolicy policy, std::function<double()> random01 = {});

  Step On(const Event& e);

  // The state as of the last event (StateAt of the last record seen).
  TokenState state() const;
  const AccountHealth& health() const { return health_; }
  const LifecyclePolicy& policy() const { return policy_; }

 private:
  Step OnTick(const Event& e);
  Step OnSyncOk(const Event& e);
  Step OpenOutage(const Event& e);
  Step Retry(const Event& e, bool transient);
  Step Expired(std::vector<Action> actions, const std::string& cause);
  void MaybeAlert(std::int64_t now, std::vector<Action>& out);
  bool DeadlineUnverified(std::int64_t now) const;
  Step Finish(std::vector<Action> actions) const;

  LifecyclePolicy policy_;
  std::function<double()> random01_;
  AccountHealth health_;
  std::int64_t now_ = 0;
  int attempt_ = 0;                        // consecutive failures since the last good session
  std::int64_t alerted_day_ = -1;          // the UTC day this machine last asked for an alert
  bool force_refresh_ = false;             // the next Fetch gets a new access token first
  bool asking_ = false;                    // a kAskTokenEndpoint is out (expired)
  bool outage_pending_ = false;            // kOpenOutage returned; the next Tick shows its id
  std::optional<std::int64_t> verifying_;  // a passed deadline being checked with the provider
  std::optional<std::int64_t> verified_;   // a passed deadline the provider still honours
};

// One account's lifecycle as the CLI (`deskmail accounts`) and the console
// show it, read from the store at `now`.
struct AccountSnapshot {
  std::string account;
  TokenState state = TokenState::kActive;
  std::optional<std::int64_t> deadline;   // reauth deadline; none without OAuth consent
  std::optional<std::int64_t> days_left;  // whole days, negative once passed
  bool alert = false;                     // inside the alert window (banner due)
  bool client_secret_expiring = false;
  AccountHealth health;
  std::optional<store::OutageRecord> open_outage;
  std::vector<store::OutageRecord> outages;  // every outage of the account, oldest first
};
AccountSnapshot Snapshot(store::ReadTxn& txn, const std::string& account, const HealthPolicy& p,
                         std::int64_t now);

}  // namespace recovery
