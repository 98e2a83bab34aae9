#include "recovery/lifecycle.h"

#include <algorithm>

#include "util/clock.h"

namespace recovery {

namespace {
constexpr std::int64_t kDay = 86400;

Action Make(Action::Kind k, std::int64_t at = 0, std::string cause = {}) {
  Action a;
  a.kind = k;
  a.at = at;
  a.cause = std::move(cause);
  return a;
}
}  // namespace

// --- events ----------------------------------------------------------------

Event Event::Tick(std::int64_t now, AccountHealth h) {
  Event e;
  e.kind = Kind::kTick;
  e.now = now;
  e.health = std::move(h);
  return e;
}
Event Event::TokenOk(std::int64_t now, bool rotated) {
  Event e;
  e.kind = Kind::kTokenOk;
  e.now = now;
  e.rotated = rotated;
  return e;
}
Event Event::TokenRefused(std::int64_t now, std::string cause) {
  Event e;
  e.kind = Kind::kTokenRefused;
  e.now = now;
  e.cause = std::move(cause);
  return e;
}
Event Event::TokenTransient(std::int64_t now, std::string cause,
                            std::optional<std::chrono::milliseconds> retry_after) {
  Event e;
  e.kind = Kind::kTokenTransient;
  e.now = now;
  e.cause = std::move(cause);
  e.retry_after = retry_after;
  return e;
}
Event Event::NeverAuthorized(std::int64_t now, std::string cause) {
  Event e;
  e.kind = Kind::kNeverAuthorized;
  e.now = now;
  e.cause = std::move(cause);
  return e;
}
Event Event::ImapAuthRejected(std::int64_t now, bool fresh_token, std::string cause) {
  Event e;
  e.kind = Kind::kImapAuthRejected;
  e.now = now;
  e.fresh_token = fresh_token;
  e.cause = std::move(cause);
  return e;
}
Event Event::ImapTransient(std::int64_t now, std::string cause,
                           std::optional<std::chrono::milliseconds> retry_after,
                           bool access_token_expired) {
  Event e;
  e.kind = Kind::kImapTransient;
  e.now = now;
  e.cause = std::move(cause);
  e.retry_after = retry_after;
  e.access_token_expired = access_token_expired;
  return e;
}
Event Event::Failure(std::int64_t now, std::string cause, bool needs_operator) {
  Event e;
  e.kind = Kind::kFailure;
  e.now = now;
  e.cause = std::move(cause);
  e.needs_operator = needs_operator;
  return e;
}
Event Event::SyncOk(std::int64_t now, AccountHealth h, std::uint64_t fetched) {
  Event e;
  e.kind = Kind::kSyncOk;
  e.now = now;
  e.health = std::move(h);
  e.fetched = fetched;
  return e;
}
Event Event::SessionEnded(std::int64_t now) {
  Event e;
  e.kind = Kind::kSessionEnded;
  e.now = now;
  return e;
}

const char* ActionKindName(Action::Kind k) {
  switch (k) {
    case Action::Kind::kOpenOutage:
      return "open_outage";
    case Action::Kind::kCloseOutage:
      return "close_outage";
    case Action::Kind::kRecordSync:
      return "record_sync";
    case Action::Kind::kRaiseAlert:
      return "raise_alert";
    case Action::Kind::kWarn:
      return "warn";
    case Action::Kind::kStopFetching:
      return "stop_fetching";
    case Action::Kind::kFetch:
      return "fetch";
    case Action::Kind::kAskTokenEndpoint:
      return "ask_token_endpoint";
    case Action::Kind::kWait:
      return "wait";
    case Action::Kind::kStop:
      return "stop";
  }
  return "?";
}

std::chrono::milliseconds Backoff(int attempt, std::chrono::milliseconds min,
                                  std::chrono::milliseconds max, double random01) {
  double base = static_cast<double>(min.count());
  for (int i = 0; i < attempt && base < static_cast<double>(max.count()); ++i) base *= 2;
  base = std::min(base, static_cast<double>(max.count()));
  double jittered = base * (0.75 + 0.5 * random01);
  return std::chrono::milliseconds(static_cast<std::int64_t>(jittered));
}

std::int64_t OutageStart(const AccountHealth& h, std::int64_t now) {
  return h.last_sync != 0 ? h.last_sync : now;
}

// --- the machine -------------------------------------------------------------

Lifecycle::Lifecycle(LifecyclePolicy policy, std::function<double()> random01)
    : policy_(std::move(policy)), random01_(std::move(random01)) {
  if (!random01_) random01_ = [] { return 0.5; };
}

TokenState Lifecycle::state() const {
  if (outage_pending_) return TokenState::kExpired;
  return StateAt(health_, policy_.health, now_);
}

Step Lifecycle::Finish(std::vector<Action> actions) const {
  return Step{state(), std::move(actions)};
}

bool Lifecycle::DeadlineUnverified(std::int64_t now) const {
  auto d = ReauthDeadline(health_, policy_.health);
  return d && now >= *d && verified_ != d;
}

void Lifecycle::MaybeAlert(std::int64_t now, std::vector<Action>& out) {
  if (!policy_.health.uses_oauth) return;
  if (StateAt(health_, policy_.health, now) != TokenState::kExpiring) return;
  // The record says whether any process alerted today; alerted_day_ covers
  // a record reloaded before this process's own alert reached it.
  if (health_.last_alert_day == now / kDay || alerted_day_ == now / kDay) return;
  health_.last_alert_day = alerted_day_ = now / kDay;
  out.push_back(Make(Action::Kind::kRaiseAlert, now));
}

// Fetching has stopped; the next move while the outage stays open.
Step Lifecycle::Expired(std::vector<Action> actions, const std::string& cause) {
  if (policy_.once) {
    actions.push_back(Make(Action::Kind::kStop, now_, cause));
  } else {
    Action w = Make(Action::Kind::kWait, now_, cause);
    w.delay = policy_.outage_check;
    actions.push_back(std::move(w));
  }
  return Finish(std::move(actions));
}

Step Lifecycle::On(const Event& e) {
  now_ = e.now;
  using K = Event::Kind;
  switch (e.kind) {
    case K::kTick:
      return OnTick(e);
    case K::kSyncOk:
      return OnSyncOk(e);
    case K::kTokenOk: {
      if (e.rotated) health_.last_rotation = e.now;  // a rolling deadline moves with it
      if (asking_) {
        // The grant works again without an operator: the outage closes and
        // the next pass backfills the gap.
        asking_ = false;
        attempt_ = 0;
        health_.open_outage = 0;
        health_.recovering = true;
        return Finish({Make(Action::Kind::kCloseOutage, e.now), Make(Action::Kind::kFetch, e.now)});
      }
      std::vector<Action> out;
      if (verifying_) {
        auto d = ReauthDeadline(health_, policy_.health);
        if (d && e.now >= *d) {
          verified_ = d;
          out.push_back(Make(Action::Kind::kWarn, e.now,
                             "the identity provider still grants tokens after the reauth "
                             "deadline " +
                                 util::FormatRfc3339(*d) +
                                 "; refresh_token_lifetime_days may be shorter than its policy"));
        }
        verifying_.reset();
      }
      return Finish(std::move(out));
    }
    case K::kTokenRefused:
      return OpenOutage(e);
    case K::kImapAuthRejected:
      // A token refreshed a moment ago and still refused: the grant is dead.
      // Anything else (a password, a token from a command) needs an operator.
      if (e.fresh_token && policy_.health.uses_oauth && !asking_) return OpenOutage(e);
      return Retry(e, /*transient=*/false);
    case K::kTokenTransient:
    case K::kImapTransient:
      if (asking_) {  // still expired; ask again after expired_retry
        asking_ = false;
        return Expired({}, e.cause);
      }
      return Retry(e, /*transient=*/true);
    case K::kFailure:
      if (asking_) {
        asking_ = false;
        return Expired({}, e.cause);
      }
      return Retry(e, /*transient=*/false);
    case K::kNeverAuthorized:
      asking_ = false;
      return Finish({Make(Action::Kind::kStop, e.now, e.cause)});
    case K::kSessionEnded:
      attempt_ = 0;
      if (policy_.once) return Finish({Make(Action::Kind::kStop, e.now)});
      return Finish({Make(Action::Kind::kWait, e.now)});  // reconnect now
  }
  return Finish({});
}

Step Lifecycle::OnTick(const Event& e) {
  const AccountHealth& h = *e.health;
  if (h.last_interactive_auth != health_.last_interactive_auth) {
    // Reauthenticated (here or by another process): a new deadline, a new
    // grant, a clean slate for retries.
    attempt_ = 0;
    alerted_day_ = -1;
    verified_.reset();
    verifying_.reset();
  }
  health_ = h;
  outage_pending_ = false;
  asking_ = false;
  if (health_.open_outage != 0) {
    const std::string cause = "outage #" + std::to_string(health_.open_outage) +
                              " open, fetching stopped (" + health_.last_error + ")";
    if (e.now - health_.last_refresh_attempt >= policy_.expired_retry_s) {
      asking_ = true;
      health_.last_refresh_attempt = e.now;
      return Finish({Make(Action::Kind::kAskTokenEndpoint, e.now, cause)});
    }
    return Expired({}, cause);
  }
  std::vector<Action> out;
  MaybeAlert(e.now, out);
  Action fetch = Make(Action::Kind::kFetch, e.now);
  if (DeadlineUnverified(e.now)) {
    // Past the deadline the cached access token proves nothing: ask the
    // provider now, so a dead grant opens the outage before any fetch.
    verifying_ = ReauthDeadline(health_, policy_.health);
    fetch.refresh = true;
  } else {
    fetch.refresh = force_refresh_;
  }
  force_refresh_ = false;
  out.push_back(std::move(fetch));
  return Finish(std::move(out));
}

Step Lifecycle::OnSyncOk(const Event& e) {
  if (e.health) health_ = *e.health;
  attempt_ = 0;
  std::vector<Action> out;
  // The first complete pass after a reauthentication is the backfill.
  out.push_back(Make(Action::Kind::kRecordSync, e.now));
  health_.last_sync = e.now;
  health_.recovering = false;
  health_.last_error.clear();
  MaybeAlert(e.now, out);
  if (policy_.once || DeadlineUnverified(e.now)) {
    out.push_back(Make(Action::Kind::kStopFetching, e.now));
  }
  return Finish(std::move(out));
}

Step Lifecycle::OpenOutage(const Event& e) {
  asking_ = false;
  verifying_.reset();
  if (health_.open_outage != 0) return Expired({}, e.cause);  // already open
  outage_pending_ = true;
  health_.last_error = e.cause;
  health_.last_refresh_attempt = e.now;
  return Expired({Make(Action::Kind::kOpenOutage, OutageStart(health_, e.now), e.cause)}, e.cause);
}

Step Lifecycle::Retry(const Event& e, bool transient) {
  std::chrono::milliseconds delay =
      Backoff(attempt_++, policy_.backoff_min, policy_.backoff_max, random01_());
  if (e.access_token_expired) {
    // Exchange ends sessions whose access token lapsed: refresh, come straight back.
    force_refresh_ = true;
    delay = std::chrono::milliseconds(0);
  } else if (e.retry_after) {
    delay = std::max(delay, *e.retry_after);
  } else if (e.needs_operator || e.kind == Event::Kind::kImapAuthRejected) {
    delay = policy_.backoff_max;  // do not hammer a server that said no
  }
  if (policy_.once) {
    if (!transient || attempt_ > policy_.once_retries) {
      return Finish({Make(Action::Kind::kStop, e.now, e.cause)});
    }
    delay = std::min(delay, policy_.once_backoff_max);
  }
  Action w = Make(Action::Kind::kWait, e.now, e.cause);
  w.delay = delay;
  return Finish({std::move(w)});
}

// --- snapshot ----------------------------------------------------------------

AccountSnapshot Snapshot(store::ReadTxn& txn, const std::string& account, const HealthPolicy& p,
                         std::int64_t now) {
  AccountSnapshot s;
  s.account = account;
  s.health = LoadHealth(txn, account);
  s.state = StateAt(s.health, p, now);
  s.deadline = ReauthDeadline(s.health, p);
  s.days_left = DaysLeft(s.health, p, now);
  s.alert = s.state == TokenState::kExpiring;
  s.client_secret_expiring = ClientSecretExpiring(p, now);
  txn.ForEachOutage([&](const store::OutageRecord& o) {
    if (o.account == account) {
      s.outages.push_back(o);
      if (o.id == s.health.open_outage) s.open_outage = o;
    }
    return true;
  });
  return s;
}

}  // namespace recovery
