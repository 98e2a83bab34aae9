#include "engine/poller.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "engine/credentials.h"
#include "imap/session.h"

namespace engine {
namespace {

imap::Config ImapConfig(const AccountConfig& a, const PollerOptions& opts) {
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

class AccountWorker {
 public:
  AccountWorker(store::Store& store, const AccountConfig& a, const recovery::IngestOptions& ingest,
                const PollerOptions& opts, const util::Clock& clock)
      : store_(store),
        a_(a),
        ingest_(ingest),
        opts_(opts),
        clock_(clock),
        rng_(std::random_device{}()) {}

  AccountResult Run(std::stop_token stop) {
    auto creds = MakeCredentialSource(a_);
    if (!creds.ok()) {
      spdlog::error("{}", creds.status().message());
      result_.last_error = creds.status();
      return result_;
    }
    creds_ = std::move(creds).value();
    int attempt = 0;
    while (!stop.stop_requested()) {
      util::Status s = Session(stop);
      result_.ok = s.ok();
      result_.last_error = s;
      if (stop.stop_requested()) break;
      if (s.ok()) {
        if (opts_.once) break;
        attempt = 0;
        continue;
      }
      // --once still rides out a dropped connection: the pass must finish.
      if (opts_.once && (s.code() != util::Code::kTransient || attempt >= opts_.once_retries))
        break;
      auto delay = Backoff(attempt++, opts_.backoff_min, opts_.backoff_max,
                           std::uniform_real_distribution<double>(0, 1)(rng_));
      if (s.code() == util::Code::kAuthRejected || s.code() == util::Code::kTls) {
        delay = opts_.backoff_max;  // needs an operator; do not hammer the server
      }
      spdlog::warn("account {}: {}; reconnecting in {} s", a_.name, s.ToString(),
                   std::chrono::duration_cast<std::chrono::seconds>(delay).count());
      if (!SleepFor(delay, stop)) break;
    }
    return result_;
  }

 private:
  // One connection's life: connect, authenticate, sync, wait, sync... Returns
  // when the connection fails, or after one pass with --once.
  util::Status Session(std::stop_token stop) {
    imap::Error err;
    auto session = imap::Session::Connect(ImapConfig(a_, opts_), &err);
    if (!session.ok()) return session.status();
    util::Status auth = Authenticate(*session);
    if (!auth.ok()) return auth;
    auto caps = session->GetCapabilities();
    const bool idle = caps.ok() && caps->Has("IDLE");

    while (!stop.stop_requested()) {
      for (const auto& folder : a_.folders) {
        SyncOptions sync = opts_.sync;
        sync.limits.max_count = static_cast<std::size_t>(a_.fetch_batch_max_count);
        sync.limits.max_bytes = static_cast<std::uint64_t>(a_.fetch_batch_max_bytes);
        auto stats = SyncFolder(store_, *session, a_, folder, ingest_, sync, clock_, stop);
        if (!stats.ok()) return stats.status();
        Add(*stats);
        if (stats->fetched > 0) {
          spdlog::info(
              "account {}: {}: {} fetched, {} new tickets, {} threaded, {} ignored, "
              "{} unprocessable, {} already stored",
              a_.name, folder, stats->fetched, stats->new_tickets, stats->threaded, stats->ignored,
              stats->unprocessable, stats->duplicates);
        }
      }
      if (opts_.once) {
        session->Logout();
        return {};
      }
      if (idle) {
        // Watch the first folder; the others are synced on every wake-up.
        auto box = session->Examine(a_.folders.front());
        if (!box.ok()) return box.status();
        // Bounded by the poll interval too: servers that drop IDLE silently
        // (NAT timeouts) still get polled.
        auto wait = std::min<std::chrono::milliseconds>(opts_.idle_max,
                                                        std::chrono::seconds(a_.poll_interval_s));
        auto r = session->Idle(wait, stop);
        if (!r.ok()) return r.status();
      } else if (!SleepFor(std::chrono::seconds(a_.poll_interval_s), stop)) {
        break;
      }
    }
    return {};
  }

  util::Status Authenticate(imap::Session& session) {
    // One retry with a fresh token: a cached token may just have expired.
    for (bool refresh : {false, true}) {
      auto secret = creds_->Get(refresh);
      if (!secret.ok()) return secret.status();
      util::Status s = secret->is_token
                           ? session.Authenticate(imap::XOAuth2{secret->user, secret->value})
                           : session.Authenticate(imap::Login{secret->user, secret->value});
      if (s.ok() || s.code() != util::Code::kAuthRejected || !secret->is_token || refresh) return s;
      // A rejected authentication leaves the session usable for another try.
    }
    return {};
  }

  void Add(const SyncStats& s) {
    result_.totals.fetched += s.fetched;
    result_.totals.new_tickets += s.new_tickets;
    result_.totals.threaded += s.threaded;
    result_.totals.ignored += s.ignored;
    result_.totals.unprocessable += s.unprocessable;
    result_.totals.duplicates += s.duplicates;
  }

  store::Store& store_;
  const AccountConfig& a_;
  const recovery::IngestOptions& ingest_;
  const PollerOptions& opts_;
  const util::Clock& clock_;
  std::unique_ptr<CredentialSource> creds_;
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

std::map<std::string, AccountResult> RunPoller(store::Store& store, const Config& cfg,
                                               const recovery::IngestOptions& ingest,
                                               const PollerOptions& opts, const util::Clock& clock,
                                               std::stop_token stop) {
  std::map<std::string, AccountResult> results;
  std::mutex mu;
  std::vector<std::jthread> threads;
  for (const auto& a : cfg.accounts) {
    threads.emplace_back([&, acct = &a](std::stop_token) {
      AccountWorker w(store, *acct, ingest, opts, clock);
      AccountResult r = w.Run(stop);
      std::lock_guard lock(mu);
      results[acct->name] = std::move(r);
    });
  }
  threads.clear();  // joins
  return results;
}

}  // namespace engine
