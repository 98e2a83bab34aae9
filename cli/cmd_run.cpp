#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <thread>

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
  if (any_oauth) {
    auto box = store::SecretBox::Load(ctx.data_dir);
    if (!box.ok()) {
      PrintError(box.status().ToString());
      return kExitFailure;
    }
    opts.secrets = std::make_shared<const store::SecretBox>(std::move(box).value());
  }

  std::stop_source stop;
  SignalStopper stopper(stop);
  auto results = RunPoller(*store, ctx.config, ctx.ingest, opts, ctx.clock, stop.get_token());
  const int sig = stopper.signal();
  int rc = kExitOk;
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
