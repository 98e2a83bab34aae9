// admin::Console: the web console for helpdesk admins (issue 12). Pages
// (dashboard, Support Emails, Edit + Reauthenticate, tickets, intake log,
// help), a JSON API under /api/v1 with the CLI's --json shapes, /metrics in
// Prometheus text format, /healthz and /readyz. See docs/CONSOLE.md.
//
// Security: bound to a loopback address the console needs no login. Bound
// anywhere else it refuses to start unless [admin] has a password hash
// (password_hash / password_file) or an API bearer token (api_token_env).
// No page, API answer, log line or metric carries a token or a password.
//
// Thread-safety: the server runs on its own threads; Start/stop are for one
// owner thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "store/secret_box.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/result.h"

namespace admin {

struct ConsoleOptions {
  // true inside `deskmail run` (pollers in this process), false for `deskmail serve`.
  bool with_pollers = false;
  // Called after a reauthentication commits, to wake the account's poller
  // so the backfill starts at once. May be empty.
  std::function<void(const std::string& account)> wake;
  // Overrides [admin] port (0: any free port; tests).
  std::optional<int> port;
};

// Whether the [admin] settings may be served: kInvalidArgument naming the
// problem when bound off loopback without a password or an API token, or
// when a password hash does not parse, or only one of tls_cert/tls_key is set.
util::Status CheckAdminConfig(const config::Config& cfg);

class Console {
 public:
  // Binds and starts serving on background threads. `box` may be null (no
  // OAuth account: reauthentication is then refused with a message).
  // REQUIRES: cfg, st and clock outlive the Console.
  static util::Result<std::unique_ptr<Console>> Start(const config::Config& cfg, store::Store& st,
                                                      std::shared_ptr<const store::SecretBox> box,
                                                      const util::Clock& clock,
                                                      ConsoleOptions opts);
  virtual ~Console() = default;  // stops serving
  virtual int port() const = 0;
  virtual std::string base_url() const = 0;  // e.g. http://127.0.0.1:8025
};

}  // namespace admin
