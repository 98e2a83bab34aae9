// deskmail serve: the admin console alone over the store, no polling, so an
// operator can look (and reauthenticate) without fetching; and the helper
// that turns a console password into its hash.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#ifdef DESKMAIL_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "admin/console.h"
#include "admin/security.h"
#include "cli/cli.h"
#include "oauth/source.h"

namespace cli {

void NotifyReady() {
#ifdef DESKMAIL_HAVE_SYSTEMD
  sd_notify(0, "READY=1");
#endif
}

int CmdServe(const Context& ctx, const ServeArgs& args) {
  // Blocked before any thread starts, so every thread inherits the mask
  // and the signal is taken here by sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto store = ctx.OpenStore(/*read_only=*/false);
  if (!store) return kExitFailure;
  std::shared_ptr<const store::SecretBox> box;
  bool any_oauth = false;
  for (const auto& a : ctx.config.accounts) any_oauth = any_oauth || oauth::UsesOAuthRefresh(a);
  if (any_oauth) {
    auto b = store::SecretBox::Load(ctx.data_dir);
    if (!b.ok()) {
      PrintError(b.status().ToString());
      return kExitFailure;
    }
    box = std::make_shared<const store::SecretBox>(std::move(b).value());
  }
  admin::ConsoleOptions opts;
  opts.with_pollers = false;
  opts.port = args.port;
  auto console = admin::Console::Start(ctx.config, *store, box, ctx.clock, opts);
  if (!console.ok()) {
    PrintError(console.status().message());
    return kExitUsage;
  }
  std::printf("deskmail console: %s/ (Ctrl-C to stop)\n", (*console)->base_url().c_str());
  std::fflush(stdout);
  NotifyReady();
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("signal {}: stopping the console", sig);
  return kExitOk;
}

int CmdAdminHash() {
  std::string password;
  if (isatty(STDIN_FILENO)) std::fprintf(stderr, "console password: ");
  std::getline(std::cin, password);
  if (password.size() < 8) {
    PrintError("admin-hash: a console password has at least 8 characters");
    return kExitUsage;
  }
  std::printf("password_hash = \"%s\"\n", admin::HashPassword(password).c_str());
  return kExitOk;
}

}  // namespace cli
