// The deskmail commands. Each returns the process exit code:
// 0 ok, 1 runtime failure, 2 usage or config error (ARCHITECTURE.md).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "recovery/ingest.h"
#include "store/store.h"
#include "util/clock.h"

namespace cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// What every command gets: the loaded config and where the store lives.
struct Context {
  config::Config config;
  std::string data_dir;
  util::SystemClock clock;
  recovery::IngestOptions ingest;  // from the config (ticket_tag), checked at start-up

  // Opens the store; on failure prints one line and returns nullptr.
  std::unique_ptr<store::Store> OpenStore(bool read_only) const;
};

// One line on stderr: "deskmail: <what>".
void PrintError(const std::string& what);

struct ReplayArgs {
  std::string path;
  std::string account;
  bool as_intake = false;
  bool quiet = false;
};
int CmdReplay(const Context& ctx, const ReplayArgs& args);

struct TicketsArgs {
  std::string action = "list";  // list | show
  std::uint64_t id = 0;
  bool json = false;
  bool unprocessable = false;
  bool ignored = false;
  std::string account;
};
int CmdTickets(const Context& ctx, const TicketsArgs& args);
int CmdSummary(const Context& ctx, bool json);

struct RunArgs {
  bool once = false;
  bool no_console = false;  // without the admin console ([admin] bind/port)
};
int CmdRun(const Context& ctx, const RunArgs& args);

struct ServeArgs {
  std::optional<int> port;  // overrides [admin] port
};
// The admin console alone over the store, no polling (admin/console.h).
int CmdServe(const Context& ctx, const ServeArgs& args);
// `deskmail admin-hash`: a password from stdin to an [admin] password_hash line.
int CmdAdminHash();
// Tells systemd (Type=notify) the service is up; nothing without libsystemd.
void NotifyReady();

int CmdAccounts(const Context& ctx, bool json);
// One account, or every expiring/expired one in turn.
int CmdReauth(const Context& ctx, const std::string& account, bool expiring);

// Files, mailboxes, or (no inputs) one message on stdin.
// `envelope_sender`: the MTA's envelope sender of the one message on stdin
// (`--sender`, Postfix ${sender}, Exim $sender_address).
int CmdIntake(const Context& ctx, const std::vector<std::string>& inputs,
              const std::optional<std::string>& envelope_sender = std::nullopt);
int CmdIntakeLog(const Context& ctx, bool json);

int CmdInspect(const std::string& file, bool json);
int CmdExport(const Context& ctx, std::uint64_t since, bool jsonl);
// The store's consistency check: 0 consistent, 1 with the findings listed.
int CmdVerify(const Context& ctx, bool json);

}  // namespace cli
