#include "engine/poller.h"

#include "util/printable.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "engine/alerts.h"
#include "engine/connect_gate.h"
#include "imap/session.h"
#include "oauth/credentials.h"
#include "oauth/source.h"
#include "recovery/lifecycle.h"
#include "recovery/outage.h"
#include "recovery/token_health.h"

namespace engine {
namespace {

using util::Code;

imap::Config ImapConfig(const config::AccountConfig& a, const std::string& spool_dir,
                        std::stop_token stop) {
  imap::Config c;
  // Large bodies are spooled beside the store: disk-backed pages, never a
  // tmpfs /tmp that would hold them in RAM after all.
  c.spool_dir = spool_dir;
  c.host = a.host;
  c.port = static_cast<uint16_t>(a.port);
  c.tls = a.tls == config::TlsMode::kStartTls ? imap::TlsMode::kStartTls : imap::TlsMode::kImplicit;
  c.ca_file = a.ca_file;
  c.verify = a.tls_verify;
  // 0 (an AccountConfig not read from a file) means the global defaults.
  const config::Config defaults;
  c.connect_timeout = std::chrono::seconds(a.connect_timeout_s > 0 ? a.connect_timeout_s
                                                                   : defaults.connect_timeout_s);
  c.io_timeout =
      std::chrono::seconds(a.read_timeout_s > 0 ? a.read_timeout_s : defaults.read_timeout_s);
  c.stop = std::move(stop);  // a stop interrupts a blocked connect or read at once
  std::string name = a.name;
  c.log = [name](imap::LogLevel level, std::string_view raw) {
    // The session's lines quote the server: made printable (and redacted
    // for authentication replies) in imap/, and once more here, cheaply.
    const std::string msg = util::Printable(raw);
    switch (level) {
      case imap::LogLevel::kDebug:
        spdlog::debug("account {}: {}", name, msg);
        break;
      case imap::LogLevel::kInfo:
        spdlog::info("account {}: {}", name, msg);
        break;
      case imap::LogLevel::kWarning:
        spdlog::warn("account {}: {}", name, msg);
        break;
      case imap::LogLevel::kError:
        spdlog::error("account {}: {}", name, msg);
        break;
    }
  };
  return c;
}

// Sleeps up to `d`; returns false when `stop` was requested meanwhile.
bool SleepFor(std::chrono::milliseconds d, std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  return !cv.wait_for(lock, stop, d, [] { return false; });
}

// What one connection's life ended with. `server_text` is the server's last
// words (BYE text), for the Exchange special cases; `stage` tells the
// lifecycle a token endpoint's refusal apart from an IMAP one.
struct SessionEnd {
  enum class Stage { kConnect, kToken, kImapAuth, kSync };
  util::Status status;
  std::string server_text;
  Stage stage = Stage::kConnect;
  bool token_was_fresh = false;  // the rejected token had just been refreshed
  bool server_busy = false;      // refused before login as overloaded: slow down, not a failure
};

// A server that turns us away before login because it is overloaded:
// Dovecot's "Connection queue full" when imap-login's process_limit is hit,
// [UNAVAILABLE], or any BYE instead of a greeting.
bool ServerBusy(const util::Status& s, std::string_view server_text) {
  if (s.code() != Code::kTransient) return false;
  return !server_text.empty() || s.message().find("server said BYE") != std::string::npos;
}

recovery::LifecyclePolicy LifecyclePolicyFor(const config::Config& cfg,
                                             const config::AccountConfig& a,
                                             const PollerOptions& opts) {
  recovery::LifecyclePolicy p;
  p.health = PolicyFor(a);
  p.expired_retry_s = std::int64_t{cfg.expired_retry_hours} * 3600;
  p.backoff_min = opts.backoff_min;
  p.backoff_max = opts.backoff_max;
  p.outage_check = opts.outage_check;
  p.once = opts.once;
  p.once_retries = opts.once_retries;
  p.once_backoff_max = opts.once_backoff_max;
  return p;
}

// The driver of recovery::Lifecycle for one account: the machine decides
// (when to fetch, retry, open or close an outage, alert); this class
// performs its actions and reports what happened as events.
class AccountWorker {
 public:
  AccountWorker(store::Store& store, const config::Config& cfg, const config::AccountConfig& a,
                const recovery::IngestOptions& ingest, const PollerOptions& opts,
                const util::Clock& clock, ConnectGate& gate)
      : store_(store),
        cfg_(cfg),
        a_(a),
        filing_([&] {
          recovery::FilingOptions f = opts.intake;
          f.ingest = ingest;
          return f;
        }()),
        opts_(opts),
        gate_(gate),
        clock_(clock),
        oauth_(oauth::UsesOAuthRefresh(a)),
        rng_(std::random_device{}()),
        life_(LifecyclePolicyFor(cfg, a, opts),
              [this] { return std::uniform_real_distribution<double>(0, 1)(rng_); }) {}

  AccountResult Run(std::stop_token stop) {
    if (util::Status s = MakeCredentials(); !s.ok()) {
      spdlog::error("{}", s.message());
      result_.last_error = s;
      return result_;
    }
    // Spread the first connects of many accounts over connect_jitter.
    if (opts_.connect_jitter.count() > 0 && cfg_.accounts.size() > 1) {
      const auto first = std::chrono::milliseconds(
          std::uniform_int_distribution<std::int64_t>(0, opts_.connect_jitter.count())(rng_));
      if (!SleepFor(first, stop)) return Interrupted(stop);
    }
    using K = recovery::Action::Kind;
    recovery::Event ev = Tick();
    while (!stop.stop_requested()) {
      const recovery::Step step = life_.On(ev);
      std::optional<recovery::Event> next;
      for (const recovery::Action& act : step.actions) {
        switch (act.kind) {
          case K::kFetch:
            next = Fetch(stop, act.refresh);
            break;
          case K::kAskTokenEndpoint:
            next = AskTokenEndpoint(act.at);
            break;
          case K::kWait:
            if (step.state == recovery::TokenState::kExpired) {
              NoteOutage();
            } else if (!act.cause.empty()) {
              spdlog::warn("account {}: {}; reconnecting in {} s", a_.name, act.cause,
                           std::chrono::duration_cast<std::chrono::seconds>(act.delay).count());
            }
            if (!SleepFor(act.delay, stop)) return Interrupted(stop);
            next = Tick();
            break;
          case K::kStop:
            Stopped(act);
            return result_;
          default:
            if (util::Status s = Perform(act); !s.ok()) {
              spdlog::error("account {}: {}: {}", a_.name, recovery::ActionKindName(act.kind),
                            s.ToString());
            }
        }
      }
      ev = next ? std::move(*next) : Tick();
    }
    return Interrupted(stop);
  }

  // A stop (a signal, once_deadline) cut the run short: said in the result,
  // so `run` can tell a clean daemon stop from a pass that did not finish.
  AccountResult Interrupted(const std::stop_token& stop) {
    if (stop.stop_requested()) result_.interrupted = true;
    return result_;
  }

 private:
  util::Status MakeCredentials() {
    if (!oauth_) {
      auto c = oauth::MakeCredentialSource(a_);
      if (!c.ok()) return c.status();
      creds_ = std::move(c).value();
      return {};
    }
    if (a_.client_id.empty()) {
      return util::Error(Code::kInvalidArgument,
                         "account " + a_.name +
                             ": auth = \"xoauth2\" needs client_id (OAuth "
                             "refresh) or access_token_command / access_token_file");
    }
    if (!opts_.secrets) return util::Error(Code::kInternal, "no secret box for OAuth accounts");
    creds_ = std::make_unique<oauth::OAuthCredentialSource>(a_, store_, opts_.secrets, clock_,
                                                            opts_.http);
    return {};
  }

  recovery::AccountHealth Health() {
    recovery::AccountHealth h;
    (void)store_.Read([&](store::ReadTxn& txn) {
      h = recovery::LoadHealth(txn, a_.name);
      return util::Status{};
    });
    return h;
  }

  recovery::Event Tick() { return recovery::Event::Tick(clock_.NowSeconds(), Health()); }

  // One session (connect, authenticate, sync, wait, sync...), reported as
  // the event its end means to the lifecycle.
  recovery::Event Fetch(std::stop_token stop, bool refresh) {
    SessionEnd end = Session(stop, refresh);
    result_.ok = end.status.ok();
    result_.last_error = end.status;
    const std::int64_t now = clock_.NowSeconds();
    const util::Status& s = end.status;
    if (s.ok()) return recovery::Event::SessionEnded(now);
    switch (end.stage) {
      case SessionEnd::Stage::kToken:
        return TokenEvent(s, now);
      case SessionEnd::Stage::kImapAuth:
        if (s.code() == Code::kAuthRejected) {
          return recovery::Event::ImapAuthRejected(now, end.token_was_fresh && oauth_,
                                                   oauth_ ? s.message() : s.ToString());
        }
        break;
      case SessionEnd::Stage::kConnect:
      case SessionEnd::Stage::kSync:
        break;
    }
    if (imap::IsAccessTokenExpired(end.server_text)) {
      spdlog::info("account {}: server says the access token expired; refreshing", a_.name);
      return recovery::Event::ImapTransient(now, s.ToString(), std::nullopt, true);
    }
    auto throttle = imap::ThrottleBackoff(end.server_text);
    if (s.code() == Code::kTransient)
      return recovery::Event::ImapTransient(now, s.ToString(), throttle);
    recovery::Event e = recovery::Event::Failure(
        now, s.ToString(), s.code() == Code::kAuthRejected || s.code() == Code::kTls);
    e.retry_after = throttle;
    return e;
  }

  // What a failed token request means to the lifecycle.
  recovery::Event TokenEvent(const util::Status& s, std::int64_t now) {
    if (s.code() == Code::kNotFound) return recovery::Event::NeverAuthorized(now, s.message());
    if (oauth_ && s.code() == Code::kAuthRejected) {
      return recovery::Event::TokenRefused(now, s.message());
    }
    if (s.code() == Code::kTransient) {
      return recovery::Event::TokenTransient(now, s.ToString(), creds_->retry_after());
    }
    return recovery::Event::Failure(now, s.ToString(),
                                    s.code() == Code::kAuthRejected || s.code() == Code::kTls);
  }

  // While expired: one refresh-token grant, recorded as an attempt whatever
  // it answers (`deskmail reauth` in another process may also close the outage).
  recovery::Event AskTokenEndpoint(std::int64_t at) {
    auto fresh = creds_->Get(/*refresh=*/true);
    util::Status ws = store_.Write([&](store::WriteTxn& txn) -> util::Status {
      recovery::AccountHealth cur = recovery::LoadHealth(txn, a_.name);
      cur.last_refresh_attempt = at;
      return recovery::SaveHealth(txn, a_.name, cur);
    });
    if (!ws.ok())
      spdlog::error("account {}: cannot record the attempt: {}", a_.name, ws.ToString());
    const std::int64_t now = clock_.NowSeconds();
    if (fresh.ok()) return recovery::Event::TokenOk(now, /*rotated=*/true);
    return TokenEvent(fresh.status(), now);
  }

  // The side effects; the moves (fetch, wait, stop) are Run's.
  util::Status Perform(const recovery::Action& act) {
    using K = recovery::Action::Kind;
    switch (act.kind) {
      case K::kOpenOutage:
        return OpenOutage(act.cause);
      case K::kCloseOutage:
        return CloseOutage(act.at);
      case K::kRecordSync:
        return store_.Write([&](store::WriteTxn& txn) {
          return recovery::RecordSyncSuccess(txn, a_.name, act.at);
        });
      case K::kRaiseAlert:
        return Alert(act.at);
      case K::kWarn:
        spdlog::warn("account {}: {}", a_.name, act.cause);
        return {};
      default:
        return {};
    }
  }

  util::Status OpenOutage(const std::string& cause) {
    const std::int64_t now = clock_.NowSeconds();
    std::uint64_t id = 0;
    util::Status ws = store_.Write([&](store::WriteTxn& txn) -> util::Status {
      auto r = recovery::OpenOutage(txn, a_.name, cause, now);
      if (!r.ok()) return r.status();
      id = *r;
      return util::Status{};
    });
    if (!ws.ok()) return ws;
    result_.open_outage = id;
    spdlog::error("account {}: {}; outage #{} opened, fetching stopped until `deskmail reauth {}`",
                  a_.name, cause, id, a_.name);
    return {};
  }

  util::Status CloseOutage(std::int64_t at) {
    std::uint64_t id = 0;
    util::Status ws = store_.Write([&](store::WriteTxn& txn) -> util::Status {
      auto closed = recovery::CloseOutage(txn, a_.name, at);
      if (!closed.ok()) return closed.status();
      id = *closed;
      return util::Status{};
    });
    if (!ws.ok()) return ws;
    spdlog::info("account {}: the token works again; outage #{} closed, backfilling", a_.name, id);
    result_.open_outage = 0;
    return {};
  }

  // The machine said an alert is due today; another process may have
  // raised it meanwhile, so the day is claimed in a write transaction.
  util::Status Alert(std::int64_t now) {
    bool raise = false;
    recovery::AccountHealth h;
    util::Status ws = store_.Write([&](store::WriteTxn& txn) -> util::Status {
      h = recovery::LoadHealth(txn, a_.name);
      raise = h.last_alert_day != now / 86400;
      if (!raise) return util::Status{};
      h.last_alert_day = now / 86400;
      return recovery::SaveHealth(txn, a_.name, h);
    });
    if (ws.ok() && raise) RaiseAlert(cfg_, a_, h, PolicyFor(a_), now);
    return ws;
  }

  // An open outage is the account's result until it closes.
  void NoteOutage() {
    const recovery::AccountHealth& h = life_.health();
    const std::uint64_t id = h.open_outage != 0 ? h.open_outage : result_.open_outage;
    if (id == 0) return;
    result_.open_outage = id;
    result_.ok = false;
    result_.last_error = util::Error(Code::kAuthRejected,
                                     "outage #" + std::to_string(id) + " open, fetching stopped (" +
                                         h.last_error + "): run `deskmail reauth " + a_.name + "`");
  }

  // The worker ends: the result is the last session's, or the open outage.
  void Stopped(const recovery::Action& stop) {
    if (life_.state() == recovery::TokenState::kExpired) {
      NoteOutage();
    } else if (!stop.cause.empty() && result_.ok) {
      result_.ok = false;
      result_.last_error = util::Error(Code::kInternal, stop.cause);
    }
  }

  // The lifecycle's word after each complete pass: record it, alert if due,
  // and whether to go on fetching in this session.
  util::Result<bool> AfterPass(std::uint64_t fetched) {
    const recovery::Step step =
        life_.On(recovery::Event::SyncOk(clock_.NowSeconds(), Health(), fetched));
    bool go_on = true;
    for (const recovery::Action& act : step.actions) {
      if (act.kind == recovery::Action::Kind::kStopFetching) {
        go_on = false;
      } else if (util::Status s = Perform(act); !s.ok()) {
        return s;
      }
    }
    return go_on;
  }

  // One connection's life: connect, authenticate, sync, wait, sync...
  SessionEnd Session(std::stop_token stop, bool force_refresh) {
    SessionEnd end;
    imap::Error err;
    if (!gate_.Acquire(stop)) {
      end.status = util::Error(Code::kTransient, "stopped before connecting");
      return end;
    }
    ConnectSlot slot(&gate_);  // held from connect to login, see engine/connect_gate.h
    auto session = imap::Session::Connect(ImapConfig(a_, store_.dir(), stop), &err);
    if (!session.ok()) {
      end.status = session.status();
      end.server_text = err.server_text;
      end.server_busy = ServerBusy(end.status, end.server_text);
      if (end.server_busy) slot.MarkBusy();
      return end;
    }
    end.status = Authenticate(*session, force_refresh, end);
    if (!end.status.ok()) {
      // [UNAVAILABLE] to a login is the server's way of saying "not now".
      if (end.status.code() == Code::kTransient &&
          session->last_error().server_text.find("[UNAVAILABLE]") != std::string::npos) {
        end.server_busy = true;
        slot.MarkBusy();
      }
      return end;
    }
    slot.Release();
    end.stage = SessionEnd::Stage::kSync;
    auto caps = session->GetCapabilities();
    const bool idle = caps.ok() && caps->Has("IDLE");
    auto fail = [&](util::Status s) {
      end.status = std::move(s);
      end.server_text = session->last_error().server_text;
      return end;
    };

    while (!stop.stop_requested()) {
      std::uint64_t pass_fetched = 0;
      for (const auto& folder : a_.folders) {
        SyncOptions sync = opts_.sync;
        sync.limits.max_count = static_cast<std::size_t>(a_.fetch_batch_max_count);
        sync.limits.max_bytes = static_cast<std::uint64_t>(a_.fetch_batch_max_bytes);
        SyncStats stats;
        util::Status synced =
            SyncFolder(store_, *session, a_, folder, filing_, sync, clock_, stats, stop);
        Add(stats);  // what was committed, also by a sync a dropped connection cut short
        pass_fetched += stats.fetched;
        if (stats.fetched > 0) {
          spdlog::info(
              "account {}: {}: {} fetched, {} new tickets, {} threaded, {} ignored, "
              "{} unprocessable, {} already stored",
              a_.name, folder, stats.fetched, stats.new_tickets, stats.threaded, stats.ignored,
              stats.unprocessable, stats.duplicates);
        }
        if (!synced.ok()) return fail(synced);
      }
      if (stop.stop_requested()) break;
      auto go_on = AfterPass(pass_fetched);
      if (!go_on.ok()) return fail(go_on.status());
      if (!*go_on) {
        session->Logout();
        return end;
      }
      if (idle) {
        // Watch the first folder; the others are synced on every wake-up.
        auto box = session->Examine(a_.folders.front());
        if (!box.ok()) return fail(box.status());
        // Bounded by the poll interval too: servers that drop IDLE silently
        // (NAT timeouts) still get polled.
        auto wait = std::min<std::chrono::milliseconds>(opts_.idle_max,
                                                        std::chrono::seconds(a_.poll_interval_s));
        auto r = session->Idle(wait, stop);
        if (!r.ok()) return fail(r.status());
      } else if (!SleepFor(std::chrono::seconds(a_.poll_interval_s), stop)) {
        break;
      }
    }
    return end;
  }

  // A rejected cached token gets one retry with a freshly refreshed one; a
  // fresh token rejected by IMAP means the grant is dead (an outage).
  util::Status Authenticate(imap::Session& session, bool force_refresh, SessionEnd& end) {
    for (bool refresh : {force_refresh, true}) {
      end.stage = SessionEnd::Stage::kToken;
      auto secret = creds_->Get(refresh);
      if (!secret.ok()) return secret.status();
      if (refresh && oauth_) {
        const recovery::Step step =
            life_.On(recovery::Event::TokenOk(clock_.NowSeconds(), /*rotated=*/true));
        for (const recovery::Action& act : step.actions) (void)Perform(act);
      }
      end.stage = SessionEnd::Stage::kImapAuth;
      end.token_was_fresh = refresh;
      util::Status s = secret->is_token
                           ? session.Authenticate(imap::XOAuth2{secret->user, secret->value})
                           : session.Authenticate(imap::Login{secret->user, secret->value});
      if (s.ok() || s.code() != Code::kAuthRejected || !secret->is_token) return s;
      if (refresh) {
        return util::Error(
            Code::kAuthRejected,
            "expired: IMAP rejected a freshly refreshed access token (" + s.message() + ")");
      }
    }
    return {};
  }

  void Add(const SyncStats& s) {
    result_.totals.fetched += s.fetched;
    result_.totals.IngestCounts::Add(s);
  }

  store::Store& store_;
  const config::Config& cfg_;
  const config::AccountConfig& a_;
  const recovery::FilingOptions filing_;  // role = "intake" accounts apply its intake rules
  const PollerOptions& opts_;
  ConnectGate& gate_;
  const util::Clock& clock_;
  const bool oauth_;
  std::unique_ptr<oauth::CredentialSource> creds_;
  std::mt19937_64 rng_;
  recovery::Lifecycle life_;  // the policy; this class only performs it
  AccountResult result_;
};

}  // namespace

std::chrono::milliseconds Backoff(int attempt, std::chrono::milliseconds min,
                                  std::chrono::milliseconds max, double random01) {
  return recovery::Backoff(attempt, min, max, random01);
}

std::map<std::string, AccountResult> RunPoller(store::Store& store, const config::Config& cfg,
                                               const recovery::IngestOptions& ingest,
                                               const PollerOptions& opts, const util::Clock& clock,
                                               std::stop_token stop) {
  std::map<std::string, AccountResult> results;
  std::mutex mu;
  // Workers stop on the caller's stop or, with once, at the deadline.
  std::stop_source run;
  std::stop_callback forward(stop, [&run] { run.request_stop(); });
  std::atomic<bool> deadline_passed{false};
  std::jthread deadline;
  if (opts.once && opts.once_deadline.count() > 0) {
    deadline = std::jthread([&](std::stop_token) {
      if (SleepFor(opts.once_deadline, run.get_token())) {
        deadline_passed = true;
        run.request_stop();
      }
    });
  }
  ConnectGate gate(opts.max_concurrent_logins);
  {
    std::vector<std::jthread> threads;
    for (const auto& a : cfg.accounts) {
      threads.emplace_back([&, acct = &a](std::stop_token) {
        AccountWorker w(store, cfg, *acct, ingest, opts, clock, gate);
        AccountResult r = w.Run(run.get_token());
        std::lock_guard lock(mu);
        results[acct->name] = std::move(r);
      });
    }
  }  // joins the workers
  const bool gave_up = deadline_passed && !stop.stop_requested();
  run.request_stop();  // ends the deadline timer
  if (gave_up) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(opts.once_deadline).count();
    for (auto& [name, r] : results) {
      if (!r.interrupted) continue;
      r.ok = false;
      r.last_error =
          util::Error(Code::kTransient, "gave up after once_deadline_s = " + std::to_string(secs) +
                                            "; last error: " + r.last_error.ToString());
    }
  }
  return results;
}

}  // namespace engine
