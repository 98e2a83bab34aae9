#include "engine/poller.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "engine/alerts.h"
#include "engine/commit_tally.h"
#include "engine/connect_gate.h"
#include "imap/session.h"
#include "oauth/credentials.h"
#include "oauth/source.h"
#include "recovery/outage.h"
#include "recovery/token_health.h"

namespace engine {
namespace {

using util::Code;

imap::Config ImapConfig(const config::AccountConfig& a, std::stop_token stop) {
  imap::Config c;
  c.host = a.host;
  c.port = static_cast<uint16_t>(a.port);
  c.tls = a.tls == "starttls" ? imap::TlsMode::kStartTls : imap::TlsMode::kImplicit;
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
  c.log = [name](imap::LogLevel level, std::string_view msg) {
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
// words (BYE text), for the Exchange special cases.
struct SessionEnd {
  util::Status status;
  std::string server_text;
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

class AccountWorker {
 public:
  AccountWorker(store::Store& store, const config::Config& cfg, const config::AccountConfig& a,
                const recovery::IngestOptions& ingest, const PollerOptions& opts,
                const util::Clock& clock, ConnectGate& gate)
      : store_(store),
        cfg_(cfg),
        a_(a),
        tally_(a.role == "intake" ? IntakeCommit(opts.intake) : SupportCommit(ingest)),
        opts_(opts),
        gate_(gate),
        clock_(clock),
        oauth_(oauth::UsesOAuthRefresh(a)),
        rng_(std::random_device{}()) {}

  AccountResult Run(std::stop_token stop) {
    if (util::Status s = MakeCredentials(); !s.ok()) {
      spdlog::error("{}", s.message());
      result_.last_error = s;
      return result_;
    }
    int attempt = 0;
    bool force_refresh = false;
    // Spread the first connects of many accounts over connect_jitter.
    if (opts_.connect_jitter.count() > 0 && cfg_.accounts.size() > 1) {
      const auto first = std::chrono::milliseconds(
          std::uniform_int_distribution<std::int64_t>(0, opts_.connect_jitter.count())(rng_));
      if (!SleepFor(first, stop)) return result_;
    }
    while (!stop.stop_requested()) {
      MaybeAlert();
      if (oauth_) {
        if (auto wait = OutageGate(stop); wait != Gate::kProceed) {
          if (wait == Gate::kStop) break;
          continue;
        }
      }
      SessionEnd end = Session(stop, force_refresh);
      force_refresh = false;
      const util::Status& s = end.status;
      result_.ok = s.ok();
      if (stop.stop_requested()) {
        // Interrupted: the error worth reporting is the one before the stop, if any.
        result_.interrupted = !s.ok();
        if (result_.last_error.ok() || s.ok()) result_.last_error = s;
        break;
      }
      result_.last_error = s;
      if (end.server_busy) {
        // The server is overloaded, not broken: come back soon, without
        // escalating the backoff (the gate has already slowed all logins down).
        const auto delay =
            std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(500, 3000)(rng_));
        spdlog::info("account {}: server busy ({}); retrying in {} ms", a_.name,
                     end.server_text.empty() ? s.message() : end.server_text, delay.count());
        if (!SleepFor(delay, stop)) break;
        continue;
      }
      if (s.ok()) {
        if (opts_.once) break;
        attempt = 0;
        continue;
      }
      if (s.code() == Code::kNotFound) {  // never authorized: nothing to retry
        spdlog::error("account {}: {}", a_.name, s.message());
        break;
      }
      if (oauth_ && s.code() == Code::kAuthRejected) {
        OpenOutage(s.message());
        if (opts_.once) break;
        continue;
      }
      std::chrono::milliseconds delay = Backoff(attempt++, opts_.backoff_min, opts_.backoff_max,
                                                std::uniform_real_distribution<double>(0, 1)(rng_));
      if (imap::IsAccessTokenExpired(end.server_text)) {
        // Exchange ends sessions whose access token lapsed: refresh, come straight back.
        spdlog::info("account {}: server says the access token expired; refreshing", a_.name);
        force_refresh = true;
        delay = std::chrono::milliseconds(0);
      } else if (auto throttle = imap::ThrottleBackoff(end.server_text)) {
        delay = *throttle;
      } else if (auto after = creds_->retry_after()) {
        delay = std::max<std::chrono::milliseconds>(delay, *after);
      } else if (s.code() == Code::kAuthRejected || s.code() == Code::kTls) {
        delay = opts_.backoff_max;  // needs an operator; do not hammer the server
      }
      if (opts_.once) {
        if (s.code() != Code::kTransient || attempt > opts_.once_retries) break;
        delay = std::min<std::chrono::milliseconds>(delay, opts_.once_backoff_max);
      }
      spdlog::warn("account {}: {}; reconnecting in {} s", a_.name, s.ToString(),
                   std::chrono::duration_cast<std::chrono::seconds>(delay).count());
      if (!SleepFor(delay, stop)) break;
    }
    return result_;
  }

 private:
  enum class Gate { kProceed, kWait, kStop };

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

  // While an outage is open nothing is fetched. The token endpoint is asked
  // again at most every expired_retry_hours; `deskmail reauth` (another
  // process) closes the outage, which this loop notices.
  Gate OutageGate(std::stop_token stop) {
    recovery::AccountHealth h = Health();
    if (h.open_outage == 0) return Gate::kProceed;
    result_.open_outage = h.open_outage;
    const std::int64_t now = clock_.NowSeconds();
    if (now - h.last_refresh_attempt >= std::int64_t{cfg_.expired_retry_hours} * 3600) {
      auto fresh = creds_->Get(/*refresh=*/true);
      util::Status ws = store_.Write([&](store::WriteTxn& txn) -> util::Status {
        recovery::AccountHealth cur = recovery::LoadHealth(txn, a_.name);
        cur.last_refresh_attempt = now;
        if (auto s = recovery::SaveHealth(txn, a_.name, cur); !s.ok()) return s;
        if (!fresh.ok()) return util::Status{};
        auto closed = recovery::CloseOutage(txn, a_.name, now);
        return closed.ok() ? util::Status{} : closed.status();
      });
      if (fresh.ok() && ws.ok()) {
        spdlog::info("account {}: the token works again; outage #{} closed, backfilling", a_.name,
                     h.open_outage);
        result_.open_outage = 0;
        return Gate::kProceed;
      }
    }
    result_.ok = false;
    result_.last_error =
        util::Error(Code::kAuthRejected, "outage #" + std::to_string(h.open_outage) +
                                             " open, fetching stopped (" + h.last_error +
                                             "): run `deskmail reauth " + a_.name + "`");
    if (opts_.once) return Gate::kStop;
    return SleepFor(opts_.outage_check, stop) ? Gate::kWait : Gate::kStop;
  }

  void OpenOutage(const std::string& cause) {
    const std::int64_t now = clock_.NowSeconds();
    std::uint64_t id = 0;
    util::Status ws = store_.Write([&](store::WriteTxn& txn) -> util::Status {
      auto r = recovery::OpenOutage(txn, a_.name, cause, now);
      if (!r.ok()) return r.status();
      id = *r;
      return util::Status{};
    });
    if (!ws.ok()) {
      spdlog::error("account {}: cannot record the outage: {}", a_.name, ws.ToString());
      return;
    }
    result_.open_outage = id;
    spdlog::error("account {}: {}; outage #{} opened, fetching stopped until `deskmail reauth {}`",
                  a_.name, cause, id, a_.name);
  }

  // Once a day per account while its token is expiring. Read first: the
  // write (and its fsync) happens only on the day an alert is due.
  void MaybeAlert() {
    if (!oauth_) return;
    const std::int64_t now = clock_.NowSeconds();
    const recovery::HealthPolicy policy = PolicyFor(a_);
    auto due = [&](const recovery::AccountHealth& h) {
      return recovery::StateAt(h, policy, now) == recovery::TokenState::kExpiring &&
             h.last_alert_day != now / 86400;
    };
    if (!due(Health())) return;
    bool raise = false;
    recovery::AccountHealth h;
    util::Status ws = store_.Write([&](store::WriteTxn& txn) -> util::Status {
      h = recovery::LoadHealth(txn, a_.name);
      raise = due(h);  // another process may have alerted meanwhile
      if (!raise) return util::Status{};
      h.last_alert_day = now / 86400;
      return recovery::SaveHealth(txn, a_.name, h);
    });
    if (ws.ok() && raise) RaiseAlert(cfg_, a_, h, policy, now);
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
    auto session = imap::Session::Connect(ImapConfig(a_, stop), &err);
    if (!session.ok()) {
      end.status = session.status();
      end.server_text = err.server_text;
      end.server_busy = ServerBusy(end.status, end.server_text);
      if (end.server_busy) slot.MarkBusy();
      return end;
    }
    end.status = Authenticate(*session, force_refresh);
    if (!end.status.ok()) {
      end.server_text = session->last_error().server_text;
      // [UNAVAILABLE] to a login is the server's way of saying "not now".
      if (end.status.code() == Code::kTransient &&
          end.server_text.find("[UNAVAILABLE]") != std::string::npos) {
        end.server_busy = true;
        slot.MarkBusy();
      }
      return end;
    }
    slot.Release();
    auto caps = session->GetCapabilities();
    const bool idle = caps.ok() && caps->Has("IDLE");
    auto fail = [&](util::Status s) {
      end.status = std::move(s);
      end.server_text = session->last_error().server_text;
      return end;
    };

    while (!stop.stop_requested()) {
      for (const auto& folder : a_.folders) {
        SyncOptions sync = opts_.sync;
        sync.limits.max_count = static_cast<std::size_t>(a_.fetch_batch_max_count);
        sync.limits.max_bytes = static_cast<std::uint64_t>(a_.fetch_batch_max_bytes);
        tally_.Clear();
        auto stats = SyncFolder(store_, *session, a_, folder, tally_.fn(), sync, clock_, stop);
        if (!stats.ok()) {
          AddCommittedBefore(folder);  // what the failed pass committed still counts
          return fail(stats.status());
        }
        Add(*stats);
        if (stats->fetched > 0) {
          spdlog::info(
              "account {}: {}: {} fetched, {} new tickets, {} threaded, {} ignored, "
              "{} unprocessable, {} already stored",
              a_.name, folder, stats->fetched, stats->new_tickets, stats->threaded, stats->ignored,
              stats->unprocessable, stats->duplicates);
        }
      }
      if (stop.stop_requested()) break;
      util::Status rs = store_.Write([&](store::WriteTxn& txn) {
        return recovery::RecordSyncSuccess(txn, a_.name, clock_.NowSeconds());
      });
      if (!rs.ok()) return fail(rs);
      if (opts_.once) {
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
  util::Status Authenticate(imap::Session& session, bool force_refresh) {
    for (bool refresh : {force_refresh, true}) {
      auto secret = creds_->Get(refresh);
      if (!secret.ok()) return secret.status();
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

  void AddCommittedBefore(const std::string& folder) {
    std::optional<store::Checkpoint> cp;
    (void)store_.Read([&](store::ReadTxn& txn) {
      cp = txn.GetCheckpoint(a_.name, folder);
      return util::Status{};
    });
    const SyncStats done = tally_.Committed(cp);
    if (done.fetched > 0) {
      spdlog::info("account {}: {}: {} committed before the pass failed", a_.name, folder,
                   done.fetched);
    }
    Add(done);
  }

  void Add(const SyncStats& s) {
    result_.totals.fetched += s.fetched;
    result_.totals.IngestCounts::Add(s);
  }

  store::Store& store_;
  const config::Config& cfg_;
  const config::AccountConfig& a_;
  CommitTally tally_;  // support mail, or the intake rules for role = "intake"; counted
  const PollerOptions& opts_;
  ConnectGate& gate_;
  const util::Clock& clock_;
  const bool oauth_;
  std::unique_ptr<oauth::CredentialSource> creds_;
  std::mt19937_64 rng_;
  AccountResult result_;
};

}  // namespace

std::chrono::milliseconds Backoff(int attempt, std::chrono::milliseconds min,
                                  std::chrono::milliseconds max, double random01) {
  double base = static_cast<double>(min.count());
  for (int i = 0; i < attempt && base < static_cast<double>(max.count()); ++i) base *= 2;
  base = std::min(base, static_cast<double>(max.count()));
  double jittered = base * (0.75 + 0.5 * random01);
  return std::chrono::milliseconds(static_cast<std::int64_t>(jittered));
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
