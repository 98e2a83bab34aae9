#include "engine/poller.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "engine/alerts.h"
#include "imap/session.h"
#include "oauth/credentials.h"
#include "oauth/source.h"
#include "recovery/outage.h"
#include "recovery/token_health.h"

namespace engine {
namespace {

using util::Code;

imap::Config ImapConfig(const config::AccountConfig& a, const PollerOptions& opts) {
  imap::Config c;
  c.host = a.host;
  c.port = static_cast<uint16_t>(a.port);
  c.tls = a.tls == "starttls" ? imap::TlsMode::kStartTls : imap::TlsMode::kImplicit;
  c.ca_file = a.ca_file;
  c.verify = a.tls_verify;
  c.connect_timeout = opts.connect_timeout;
  c.io_timeout = opts.io_timeout;
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
};

class AccountWorker {
 public:
  AccountWorker(store::Store& store, const config::Config& cfg, const config::AccountConfig& a,
                const recovery::IngestOptions& ingest, const PollerOptions& opts,
                const util::Clock& clock)
      : store_(store),
        cfg_(cfg),
        a_(a),
        filing_([&] {
          recovery::FilingOptions f = opts.intake;
          f.ingest = ingest;
          return f;
        }()),
        opts_(opts),
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
      result_.last_error = s;
      if (stop.stop_requested()) break;
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
    auto session = imap::Session::Connect(ImapConfig(a_, opts_), &err);
    if (!session.ok()) {
      end.status = session.status();
      end.server_text = err.server_text;
      return end;
    }
    end.status = Authenticate(*session, force_refresh);
    if (!end.status.ok()) return end;
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
        auto stats = SyncFolder(store_, *session, a_, folder, filing_, sync, clock_, stop);
        if (!stats.ok()) return fail(stats.status());
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

  void Add(const SyncStats& s) {
    result_.totals.fetched += s.fetched;
    result_.totals.IngestCounts::Add(s);
  }

  store::Store& store_;
  const config::Config& cfg_;
  const config::AccountConfig& a_;
  const recovery::FilingOptions filing_;  // role = "intake" accounts apply its intake rules
  const PollerOptions& opts_;
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
  std::vector<std::jthread> threads;
  for (const auto& a : cfg.accounts) {
    threads.emplace_back([&, acct = &a](std::stop_token) {
      AccountWorker w(store, cfg, *acct, ingest, opts, clock);
      AccountResult r = w.Run(stop);
      std::lock_guard lock(mu);
      results[acct->name] = std::move(r);
    });
  }
  threads.clear();  // joins
  return results;
}

}  // namespace engine
