// The account lifecycle as a pure state machine: sequences of events in,
// states and actions out. No network, no clock: time is in the events.
#include "recovery/lifecycle.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "recovery/outage.h"
#include "tests/support/temp_store.h"

using recovery::Action;
using recovery::Event;
using recovery::TokenState;
using std::chrono::milliseconds;

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kT0 = 1800000000;  // the interactive sign-in

// "fetch", "fetch!" (refresh first), "wait=1500", "open_outage@<start>",
// "stop", "stop:<cause>": the parts of an action a test row can name.
std::string Describe(const Action& a) {
  std::ostringstream os;
  os << recovery::ActionKindName(a.kind);
  switch (a.kind) {
    case Action::Kind::kFetch:
      if (a.refresh) os << "!";
      break;
    case Action::Kind::kWait:
      os << "=" << a.delay.count();
      break;
    case Action::Kind::kOpenOutage:
    case Action::Kind::kCloseOutage:
    case Action::Kind::kRecordSync:
    case Action::Kind::kRaiseAlert:
    case Action::Kind::kAskTokenEndpoint:
      os << "@" << a.at;
      break;
    case Action::Kind::kStop:
      if (!a.cause.empty()) os << ":" << a.cause;
      break;
    case Action::Kind::kWarn:
    case Action::Kind::kStopFetching:
      break;
  }
  return os.str();
}

std::vector<std::string> Describe(const std::vector<Action>& v) {
  std::vector<std::string> out;
  for (const auto& a : v) out.push_back(Describe(a));
  return out;
}

struct Row {
  Event event;
  TokenState state;
  std::vector<std::string> actions;
};

void Play(recovery::Lifecycle& m, const std::vector<Row>& rows) {
  int i = 0;
  for (const auto& r : rows) {
    INFO("row " << i++);
    recovery::Step s = m.On(r.event);
    CHECK(recovery::TokenStateName(s.state) == std::string(recovery::TokenStateName(r.state)));
    CHECK(Describe(s.actions) == r.actions);
    CHECK(m.state() == s.state);
  }
}

recovery::LifecyclePolicy Policy(bool rolling = false) {
  recovery::LifecyclePolicy p;
  p.health.rolling = rolling;
  p.health.lifetime_days = 90;
  p.health.alert_days = 10;
  p.expired_retry_s = 6 * 3600;
  p.backoff_min = milliseconds(1000);
  p.backoff_max = milliseconds(300'000);
  p.outage_check = milliseconds(10'000);
  return p;
}

recovery::AccountHealth Signed(std::int64_t at, std::int64_t last_sync = 0) {
  recovery::AccountHealth h;
  h.last_interactive_auth = at;
  h.last_rotation = at;
  h.last_sync = last_sync;
  return h;
}

std::string At(const char* kind, std::int64_t t) {
  return std::string(kind) + "@" + std::to_string(t);
}

}  // namespace

TEST_CASE("an active account fetches, records each pass and reconnects after a clean end") {
  recovery::Lifecycle m(Policy());
  const std::int64_t t = kT0 + kDay;
  Play(
      m,
      {
          {Event::Tick(t, Signed(kT0)), TokenState::kActive, {"fetch"}},
          {Event::TokenOk(t, true), TokenState::kActive, {}},
          {Event::SyncOk(t + 5, Signed(kT0), 3), TokenState::kActive, {At("record_sync", t + 5)}},
          {Event::SyncOk(t + 65, Signed(kT0), 0), TokenState::kActive, {At("record_sync", t + 65)}},
          {Event::SessionEnded(t + 70), TokenState::kActive, {"wait=0"}},
          {Event::Tick(t + 70, Signed(kT0, t + 65)), TokenState::kActive, {"fetch"}},
      });
}

TEST_CASE("the alert window opens exactly alert_days before the deadline, once a day") {
  const std::int64_t deadline = kT0 + 90 * kDay;
  const std::int64_t edge = deadline - 10 * kDay;
  recovery::Lifecycle m(Policy());
  recovery::AccountHealth alerted = Signed(kT0);
  alerted.last_alert_day = (edge + 3600) / kDay;  // another process alerted today
  Play(m, {
              {Event::Tick(edge - 1, Signed(kT0)), TokenState::kActive, {"fetch"}},
              {Event::Tick(edge, Signed(kT0)),
               TokenState::kExpiring,
               {At("raise_alert", edge), "fetch"}},
              // The driver records the day; a later tick that day reloads it.
              {Event::Tick(edge + 3600, alerted), TokenState::kExpiring, {"fetch"}},
              // Within the same day the machine remembers its own alert, even when the
              // record it reloads does not show it yet.
              {Event::SyncOk(edge + 7200, Signed(kT0), 0),
               TokenState::kExpiring,
               {At("record_sync", edge + 7200)}},
              {Event::SyncOk(edge + 7300, Signed(kT0), 0),
               TokenState::kExpiring,
               {At("record_sync", edge + 7300)}},
              // The next UTC day: again, once.
              {Event::Tick(edge + kDay, alerted),
               TokenState::kExpiring,
               {At("raise_alert", edge + kDay), "fetch"}},
          });
}

TEST_CASE("transient failures retry with backoff and never open an outage") {
  recovery::Lifecycle m(Policy());
  const std::int64_t t = kT0 + kDay;
  Play(
      m,
      {
          {Event::Tick(t, Signed(kT0)), TokenState::kActive, {"fetch"}},
          {Event::TokenTransient(t, "transient: HTTP 503"), TokenState::kActive, {"wait=1000"}},
          {Event::Tick(t + 1, Signed(kT0)), TokenState::kActive, {"fetch"}},
          {Event::ImapTransient(t + 1, "transient: connection reset"),
           TokenState::kActive,
           {"wait=2000"}},
          {Event::Tick(t + 3, Signed(kT0)), TokenState::kActive, {"fetch"}},
          {Event::ImapTransient(t + 3, "transient: timeout"), TokenState::kActive, {"wait=4000"}},
          // Retry-After is honoured when longer than the backoff...
          {Event::TokenTransient(t + 7, "429", milliseconds(30'000)),
           TokenState::kActive,
           {"wait=30000"}},
          // ...and never shortens it.
          {Event::ImapTransient(t + 40, "throttled", milliseconds(1500)),
           TokenState::kActive,
           {"wait=16000"}},
          // A good pass resets the backoff.
          {Event::SyncOk(t + 60, Signed(kT0), 1), TokenState::kActive, {At("record_sync", t + 60)}},
          {Event::SessionEnded(t + 61), TokenState::kActive, {"wait=0"}},
          {Event::ImapTransient(t + 62, "transient: timeout"), TokenState::kActive, {"wait=1000"}},
      });
}

TEST_CASE("backoff doubles up to the cap, with +-25% jitter") {
  using recovery::Backoff;
  const milliseconds lo(1000), hi(300'000);
  CHECK(Backoff(0, lo, hi, 0.5) == milliseconds(1000));
  CHECK(Backoff(3, lo, hi, 0.5) == milliseconds(8000));
  CHECK(Backoff(30, lo, hi, 0.5) == hi);
  CHECK(Backoff(0, lo, hi, 0.0) == milliseconds(750));
  CHECK(Backoff(0, lo, hi, 0.999) == milliseconds(1249));
  CHECK(Backoff(30, lo, hi, 0.999) < milliseconds(375'000));

  // The machine draws its jitter from the injected source.
  recovery::Lifecycle m(Policy(), [] { return 0.0; });
  m.On(Event::Tick(kT0, Signed(kT0)));
  CHECK(m.On(Event::ImapTransient(kT0, "x")).actions.at(0).delay == milliseconds(750));
}

TEST_CASE("a lapsed access token (Exchange BYE) refreshes and reconnects at once") {
  recovery::Lifecycle m(Policy());
  const std::int64_t t = kT0 + kDay;
  Play(m, {
              {Event::Tick(t, Signed(kT0)), TokenState::kActive, {"fetch"}},
              {Event::ImapTransient(t, "BYE AccessTokenExpired", std::nullopt, true),
               TokenState::kActive,
               {"wait=0"}},
              {Event::Tick(t, Signed(kT0)), TokenState::kActive, {"fetch!"}},
              {Event::Tick(t, Signed(kT0)), TokenState::kActive, {"fetch"}},
          });
}

TEST_CASE("invalid_grant opens an outage from the last sync and fetching stops") {
  recovery::Lifecycle m(Policy());
  const std::int64_t last = kT0 + 30 * kDay;
  const std::int64_t t = kT0 + 31 * kDay;
  recovery::AccountHealth open = Signed(kT0, last);
  open.open_outage = 7;
  open.last_refresh_attempt = t;
  open.last_error = "expired: invalid_grant";
  Play(m, {
              {Event::Tick(t, Signed(kT0, last)), TokenState::kActive, {"fetch"}},
              {Event::TokenRefused(t, "expired: invalid_grant"),
               TokenState::kExpired,
               {At("open_outage", last), "wait=10000"}},
              {Event::Tick(t + 10, open), TokenState::kExpired, {"wait=10000"}},
          });
}

TEST_CASE("an account that never synced starts its outage at detection") {
  recovery::Lifecycle m(Policy());
  m.On(Event::Tick(kT0 + 5, Signed(kT0)));
  auto s = m.On(Event::TokenRefused(kT0 + 5, "expired: invalid_grant"));
  REQUIRE(s.actions.size() == 2);
  CHECK(s.actions[0].kind == Action::Kind::kOpenOutage);
  CHECK(s.actions[0].at == kT0 + 5);
  CHECK(s.actions[0].cause == "expired: invalid_grant");
}

TEST_CASE("IMAP refusing a freshly refreshed token opens an outage, a password refusal does not") {
  SECTION("fresh OAuth token") {
    recovery::Lifecycle m(Policy());
    const std::int64_t t = kT0 + kDay;
    Play(m, {
                {Event::Tick(t, Signed(kT0, t - 60)), TokenState::kActive, {"fetch"}},
                {Event::ImapAuthRejected(t, true, "expired: IMAP rejected a fresh token"),
                 TokenState::kExpired,
                 {At("open_outage", t - 60), "wait=10000"}},
            });
  }
  SECTION("a token from a command, or a cached one") {
    recovery::Lifecycle m(Policy());
    m.On(Event::Tick(kT0 + kDay, Signed(kT0)));
    auto s = m.On(Event::ImapAuthRejected(kT0 + kDay, false, "NO"));
    CHECK(s.state == TokenState::kActive);
    CHECK(Describe(s.actions) == std::vector<std::string>{"wait=300000"});
  }
  SECTION("a password account") {
    auto p = Policy();
    p.health.uses_oauth = false;
    recovery::Lifecycle m(p);
    Play(m,
         {
             {Event::Tick(kT0, {}), TokenState::kActive, {"fetch"}},
             {Event::ImapAuthRejected(kT0, true, "LOGIN failed"),
              TokenState::kActive,
              {"wait=300000"}},
             {Event::Failure(kT0, "tls: certificate verify failed", true),
              TokenState::kActive,
              {"wait=300000"}},
             {Event::Failure(kT0, "protocol: garbage", false), TokenState::kActive, {"wait=4000"}},
         });
  }
}

TEST_CASE("an expired account asks the token endpoint at most every expired_retry_hours") {
  recovery::Lifecycle m(Policy());
  const std::int64_t opened = kT0 + 91 * kDay;
  recovery::AccountHealth h = Signed(kT0, opened - kDay);
  h.open_outage = 1;
  h.last_refresh_attempt = opened;
  h.last_error = "expired: invalid_grant";
  recovery::AccountHealth later = h;
  later.last_refresh_attempt = opened + 6 * 3600;
  Play(m,
       {
           {Event::Tick(opened + 3600, h), TokenState::kExpired, {"wait=10000"}},
           {Event::Tick(opened + 6 * 3600 - 1, h), TokenState::kExpired, {"wait=10000"}},
           {Event::Tick(opened + 6 * 3600, h),
            TokenState::kExpired,
            {At("ask_token_endpoint", opened + 6 * 3600)}},
           // Still refused: no second outage, back to waiting.
           {Event::TokenRefused(opened + 6 * 3600, "expired: invalid_grant"),
            TokenState::kExpired,
            {"wait=10000"}},
           {Event::Tick(opened + 7 * 3600, later), TokenState::kExpired, {"wait=10000"}},
           // A transient answer is no verdict either.
           {Event::Tick(opened + 12 * 3600, later),
            TokenState::kExpired,
            {At("ask_token_endpoint", opened + 12 * 3600)}},
           {Event::TokenTransient(opened + 12 * 3600, "503"), TokenState::kExpired, {"wait=10000"}},
       });
  // The grant works again (the admin fixed consent at the provider): the
  // outage closes and the backfill starts.
  recovery::AccountHealth retry = later;
  retry.last_refresh_attempt = opened + 12 * 3600;
  Play(m, {
              {Event::Tick(opened + 18 * 3600, retry),
               TokenState::kExpired,
               {At("ask_token_endpoint", opened + 18 * 3600)}},
              {Event::TokenOk(opened + 18 * 3600, true),
               TokenState::kRecovering,
               {At("close_outage", opened + 18 * 3600), "fetch"}},
          });
}

TEST_CASE("reauthentication elsewhere: recovering, then the backfill pass makes it active") {
  recovery::Lifecycle m(Policy());
  const std::int64_t opened = kT0 + 91 * kDay;
  recovery::AccountHealth h = Signed(kT0, opened - kDay);
  h.open_outage = 1;
  h.last_refresh_attempt = opened;
  recovery::AccountHealth reauthed = Signed(opened + kDay, opened - kDay);
  reauthed.recovering = true;  // `deskmail reauth` closed the outage
  recovery::AccountHealth done = reauthed;
  done.recovering = false;
  Play(m, {
              {Event::Tick(opened + 60, h), TokenState::kExpired, {"wait=10000"}},
              {Event::Tick(opened + kDay, reauthed), TokenState::kRecovering, {"fetch"}},
              {Event::SyncOk(opened + kDay + 30, reauthed, 30),
               TokenState::kActive,
               {At("record_sync", opened + kDay + 30)}},
              {Event::SyncOk(opened + kDay + 90, done, 0),
               TokenState::kActive,
               {At("record_sync", opened + kDay + 90)}},
          });
}

TEST_CASE("the deadline passing while running stops the session and asks the provider") {
  const std::int64_t deadline = kT0 + 90 * kDay;
  SECTION("the provider refuses: outage from the last sync") {
    recovery::Lifecycle m(Policy());
    Play(m, {
                {Event::Tick(deadline - 120, Signed(kT0)),
                 TokenState::kExpiring,
                 {At("raise_alert", deadline - 120), "fetch"}},
                {Event::SyncOk(deadline - 60, Signed(kT0), 0),
                 TokenState::kExpiring,
                 {At("record_sync", deadline - 60)}},
                {Event::SyncOk(deadline + 60, Signed(kT0, deadline - 60), 0),
                 TokenState::kExpired,
                 {At("record_sync", deadline + 60), "stop_fetching"}},
                {Event::SessionEnded(deadline + 61), TokenState::kExpired, {"wait=0"}},
                {Event::Tick(deadline + 61, Signed(kT0, deadline + 60)),
                 TokenState::kExpired,
                 {"fetch!"}},
                {Event::TokenRefused(deadline + 61, "expired: AADSTS700082"),
                 TokenState::kExpired,
                 {At("open_outage", deadline + 60), "wait=10000"}},
            });
  }
  SECTION("the provider still grants: one warning, fetching goes on") {
    recovery::Lifecycle m(Policy());
    Play(m, {
                {Event::Tick(deadline + 5, Signed(kT0, deadline - 60)),
                 TokenState::kExpired,
                 {"fetch!"}},
                {Event::TokenOk(deadline + 5, true), TokenState::kExpired, {"warn"}},
                {Event::SyncOk(deadline + 10, Signed(kT0, deadline - 60), 2),
                 TokenState::kExpired,
                 {At("record_sync", deadline + 10)}},
                {Event::SessionEnded(deadline + 20), TokenState::kExpired, {"wait=0"}},
                {Event::Tick(deadline + 20, Signed(kT0, deadline + 10)),
                 TokenState::kExpired,
                 {"fetch"}},
            });
  }
}

TEST_CASE("rolling and fixed policies count the deadline from different moments") {
  recovery::AccountHealth h = Signed(kT0);
  h.last_rotation = kT0 + 60 * kDay;  // the refresh token was used on day 60
  SECTION("fixed: from the interactive sign-in") {
    recovery::Lifecycle m(Policy(false));
    Play(m, {
                {Event::Tick(kT0 + 85 * kDay, h),
                 TokenState::kExpiring,
                 {At("raise_alert", kT0 + 85 * kDay), "fetch"}},
                {Event::Tick(kT0 + 91 * kDay, h), TokenState::kExpired, {"fetch!"}},
            });
  }
  SECTION("rolling: from the last use") {
    recovery::Lifecycle m(Policy(true));
    Play(m, {
                {Event::Tick(kT0 + 85 * kDay, h), TokenState::kActive, {"fetch"}},
                {Event::Tick(kT0 + 91 * kDay, h), TokenState::kActive, {"fetch"}},
                {Event::Tick(kT0 + 145 * kDay, h),
                 TokenState::kExpiring,
                 {At("raise_alert", kT0 + 145 * kDay), "fetch"}},
                // A refresh-token grant moves a rolling deadline at once.
                {Event::TokenOk(kT0 + 145 * kDay, true), TokenState::kActive, {}},
            });
  }
}

TEST_CASE("run --once: one pass, bounded retries, an outage ends the pass") {
  auto p = Policy();
  p.once = true;
  p.once_retries = 2;
  p.once_backoff_max = milliseconds(1500);
  const std::int64_t t = kT0 + kDay;
  SECTION("a good pass") {
    recovery::Lifecycle m(p);
    Play(m, {
                {Event::Tick(t, Signed(kT0)), TokenState::kActive, {"fetch"}},
                {Event::SyncOk(t + 1, Signed(kT0), 4),
                 TokenState::kActive,
                 {At("record_sync", t + 1), "stop_fetching"}},
                {Event::SessionEnded(t + 2), TokenState::kActive, {"stop"}},
            });
  }
  SECTION("transient failures: capped waits, then give up") {
    recovery::Lifecycle m(p);
    Play(m, {
                {Event::Tick(t, Signed(kT0)), TokenState::kActive, {"fetch"}},
                {Event::ImapTransient(t, "timeout"), TokenState::kActive, {"wait=1000"}},
                {Event::ImapTransient(t, "timeout"), TokenState::kActive, {"wait=1500"}},
                {Event::ImapTransient(t, "timeout"), TokenState::kActive, {"stop:timeout"}},
            });
  }
  SECTION("a failure that needs an operator is not retried") {
    recovery::Lifecycle m(p);
    m.On(Event::Tick(t, Signed(kT0)));
    CHECK(Describe(m.On(Event::Failure(t, "tls: bad certificate", true)).actions) ==
          std::vector<std::string>{"stop:tls: bad certificate"});
  }
  SECTION("an outage opens and the pass ends; the next run does not ask again") {
    recovery::Lifecycle m(p);
    recovery::AccountHealth open = Signed(kT0, t - 60);
    open.open_outage = 3;
    open.last_refresh_attempt = t;
    open.last_error = "expired: invalid_grant";
    Play(m, {
                {Event::Tick(t, Signed(kT0, t - 60)), TokenState::kActive, {"fetch"}},
                {Event::TokenRefused(t, "expired: invalid_grant"),
                 TokenState::kExpired,
                 {At("open_outage", t - 60), "stop:expired: invalid_grant"}},
            });
    recovery::Lifecycle next(p);
    Play(next, {{Event::Tick(t + 7200, open),
                 TokenState::kExpired,
                 {"stop:outage #3 open, fetching stopped (expired: invalid_grant)"}}});
  }
}

TEST_CASE("an account never authorized stops with the reason") {
  recovery::Lifecycle m(Policy());
  m.On(Event::Tick(kT0, {}));
  CHECK(Describe(
            m.On(Event::NeverAuthorized(kT0, "no refresh token: run deskmail reauth a")).actions) ==
        std::vector<std::string>{"stop:no refresh token: run deskmail reauth a"});
}

TEST_CASE("a password account has no deadline and is never alerted") {
  auto p = Policy();
  p.health.uses_oauth = false;
  recovery::Lifecycle m(p);
  Play(m, {{Event::Tick(kT0 + 400 * kDay, Signed(kT0)), TokenState::kActive, {"fetch"}}});
}

TEST_CASE("snapshot: state, deadline, days left and the open outage, from the store") {
  test_support::TempStore ts("deskmail-lifecycle");
  recovery::HealthPolicy p;
  auto write = [&](auto fn) {
    REQUIRE(ts.st->Write([&](store::WriteTxn& t) -> util::Status { return fn(t); }).ok());
  };
  write([&](store::WriteTxn& t) { return recovery::SaveHealth(t, "a", Signed(kT0)); });
  write([&](store::WriteTxn& t) { return recovery::RecordSyncSuccess(t, "a", kT0 + 80 * kDay); });
  auto snap = [&](std::int64_t now) {
    recovery::AccountSnapshot s;
    REQUIRE(ts.st
                ->Read([&](store::ReadTxn& t) {
                  s = recovery::Snapshot(t, "a", p, now);
                  return util::Status{};
                })
                .ok());
    return s;
  };
  auto s = snap(kT0 + 81 * kDay);
  CHECK(s.state == TokenState::kExpiring);
  CHECK(s.alert);
  CHECK(s.deadline == kT0 + 90 * kDay);
  CHECK(s.days_left == 9);
  CHECK_FALSE(s.open_outage);
  CHECK(s.health.last_sync == kT0 + 80 * kDay);

  write([&](store::WriteTxn& t) {
    auto r = recovery::OpenOutage(t, "a", "expired: invalid_grant", kT0 + 91 * kDay);
    return r.ok() ? util::Status{} : r.status();
  });
  s = snap(kT0 + 91 * kDay);
  CHECK(s.state == TokenState::kExpired);
  CHECK_FALSE(s.alert);
  CHECK(s.days_left == -1);
  REQUIRE(s.open_outage);
  CHECK(s.open_outage->start == kT0 + 80 * kDay);
  REQUIRE(s.outages.size() == 1);

  // Another account's outages are not this one's.
  write([&](store::WriteTxn& t) {
    auto r = recovery::OpenOutage(t, "b", "expired: invalid_grant", kT0 + 91 * kDay);
    return r.ok() ? util::Status{} : r.status();
  });
  CHECK(snap(kT0 + 91 * kDay).outages.size() == 1);
}
