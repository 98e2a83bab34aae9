#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include "admin/console.h"
#include "cli/cli.h"
#include "engine/poller.h"
#include "oauth/source.h"

namespace cli {
namespace {

// Turns SIGINT/SIGTERM into a stop request. The signals are blocked in
// every thread (set before any is started) and taken here with sigtimedwait.
class SignalStopper {
 public:
  explicit SignalStopper(std::stop_source& source) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::jthread([this, &source](std::stop_token self) {
      timespec tick{0, 200'000'000};
      while (!self.stop_requested()) {
        int sig = sigtimedwait(&set_, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
          spdlog::info("signal {}: finishing the commit in progress and stopping", sig);
          signal_ = sig;
          // Runs the stop callbacks here: each connection's wake-up fd is
          // signalled, so a blocked connect, handshake or read returns now.
          source.request_stop();
          return;
        }
      }
    });
  }
  // The signal that stopped the run; 0 if none.
  int signal() const { return signal_; }

 private:
  std::atomic<int> signal_{0};
  sigset_t set_;
  std::jthread thread_;
};

}  // namespace

int CmdRun(const Context& ctx, const RunArgs& args) {
  // glibc gives each thread that allocates an arena of its own (up to 8 per
  // core), and an arena keeps what was freed in it. `run` has a thread and
  // a writer per account besides the prepare pool, where most allocation
  // happens: one arena per core is what that pool can use at once. Measured
  // (issue 11, docs/BENCHMARKS.md): peak RssAnon 85 -> 70 MB for one account,
  // 190 -> 140 MB for 50 accounts ingesting at once, CPU time within noise.
  // Before any thread starts.
  ::mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  // `run` holds access and refresh tokens and the master key for as long as
  // it lives: no core file, and no ptrace or /proc/PID/mem by other
  // processes of the same user.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  if (ctx.config.accounts.empty()) {
    PrintError("run: no [[account]] in " +
               (ctx.config.path.empty() ? "the config" : ctx.config.path));
    return kExitUsage;
  }
  auto store = ctx.OpenStore(/*read_only=*/false);
  if (!store) return kExitFailure;
  engine::PollerOptions opts;
  opts.once = args.once;
  opts.once_deadline = std::chrono::seconds(ctx.config.once_deadline_s);
  opts.max_concurrent_logins = ctx.config.max_concurrent_logins;
  opts.intake = engine::IntakeOptionsFor(ctx.config, ctx.ingest);
  bool any_oauth = false;
  for (const auto& a : ctx.config.accounts) any_oauth = any_oauth || oauth::UsesOAuthRefresh(a);
  // The accounts that may start: not those whose sealed token the master
  // key cannot open (or whose key is missing).
  config::Config cfg = ctx.config;
  int rc = kExitOk;
  if (any_oauth) {
    oauth::MasterKey key = oauth::LoadMasterKey(*store, ctx.data_dir, ctx.config.accounts);
    if (!key.error.empty()) {
      PrintError("run: " + key.error);
      rc = kExitFailure;
    }
    if (!key.box && key.refused.empty()) return kExitFailure;
    std::erase_if(cfg.accounts, [&](const config::AccountConfig& a) {
      if (std::find(key.refused.begin(), key.refused.end(), a.name) == key.refused.end()) {
        return false;
      }
      PrintError("run: account " + a.name + ": not started (its sealed token cannot be opened)");
      return true;
    });
    if (cfg.accounts.empty()) return kExitFailure;
    opts.secrets = key.box;
  }

  std::stop_source stop;
  SignalStopper stopper(stop);
  // The console, in this process next to the pollers. A closed outage is
  // noticed by the account's poller within outage_check: with the console
  // here, that check runs every second so a reauthentication in the browser
  // starts the backfill at once.
  std::unique_ptr<admin::Console> console;
  if (!args.once && !args.no_console) {
    admin::ConsoleOptions copts;
    copts.with_pollers = true;
    copts.wake = [](const std::string& account) {
      spdlog::info("account {}: reauthenticated in the console; its poller resumes now", account);
    };
    // An unsafe [admin] (off loopback without a password) stops the start;
    // a port that cannot be bound only costs the console: the pollers are
    // what must not stop.
    if (auto s = admin::CheckAdminConfig(ctx.config); !s.ok()) {
      PrintError(s.message());
      return kExitUsage;
    }
    auto c = admin::Console::Start(ctx.config, *store, opts.secrets, ctx.clock, copts);
    if (c.ok()) {
      console = std::move(c).value();
      opts.outage_check = std::chrono::seconds(1);
    } else {
      spdlog::error("{}; polling goes on without the console", c.status().message());
    }
  }
  NotifyReady();
  auto results = RunPoller(*store, cfg, ctx.ingest, opts, ctx.clock, stop.get_token());
  const int sig = stopper.signal();
  for (const auto& [name, r] : results) {
    if (sig != 0 && !args.once && r.interrupted) continue;  // a daemon asked to stop: a clean exit
    if (!r.ok) {
      rc = kExitFailure;
      PrintError("run: account " + name + ": " + r.last_error.ToString());
    }
    if (args.once) {  // what was committed, even by a pass that failed later
      std::printf(
          "%s: %llu fetched, %llu new tickets, %llu threaded, %llu ignored, %llu unprocessable\n",
          name.c_str(), static_cast<unsigned long long>(r.totals.fetched),
          static_cast<unsigned long long>(r.totals.new_tickets),
          static_cast<unsigned long long>(r.totals.threaded),
          static_cast<unsigned long long>(r.totals.ignored),
          static_cast<unsigned long long>(r.totals.unprocessable));
    }
  }
  // A pass cut short by a signal is not a finished pass: the shell's
  // convention, 128 + the signal (143 for SIGTERM, 130 for SIGINT).
  if (args.once && sig != 0) rc = 128 + sig;
  return rc;
}

}  // namespace cli
