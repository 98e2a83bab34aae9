// deskmail: the command line. Parsing and dispatch only; each command lives
// in its own cmd_*.cpp.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "cli/cli.h"
#include "mime/message.h"

namespace {

spdlog::level::level_enum SpdlogLevel(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kTrace:
      return spdlog::level::trace;
    case config::LogLevel::kDebug:
      return spdlog::level::debug;
    case config::LogLevel::kInfo:
      return spdlog::level::info;
    case config::LogLevel::kWarn:
      return spdlog::level::warn;
    case config::LogLevel::kError:
      return spdlog::level::err;
    case config::LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

void SetupLogging(config::LogLevel level) {
  auto logger = spdlog::stderr_color_mt("deskmail");
  logger->set_pattern("deskmail: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(SpdlogLevel(level));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cli;
  // A peer that hangs up (an alert_command that ignores stdin, a dropped
  // socket) must give EPIPE, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"deskmail: support mailboxes to helpdesk tickets, without losing mail"};
  app.set_version_flag("--version", "deskmail 0.1.0");
  app.require_subcommand(1);

  std::string config_path, data_dir, log_level;
  app.add_option("--config", config_path, "TOML config (default ./deskmail.toml when present)");
  app.add_option("--data-dir", data_dir,
                 "LMDB store directory (default: config, else ./deskmail-data)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off (as log_level)")
      ->check([](const std::string& v) {
        auto l = config::ParseLogLevel(v);
        return l.ok() ? std::string() : l.status().message();
      });

  RunArgs run;
  auto* c_run = app.add_subcommand("run", "poll every configured account (IDLE where offered)");
  c_run->add_flag("--once", run.once, "one pass over every account, then exit");
  c_run->add_flag("--no-console", run.no_console, "do not serve the admin console");

  ServeArgs serve;
  int serve_port = -1;
  auto* c_serve =
      app.add_subcommand("serve", "serve the admin console alone over the store (no polling)");
  c_serve->add_option("--port", serve_port, "listen on this port instead of [admin] port")
      ->check(CLI::Range(0, 65535));
  auto* c_admin_hash = app.add_subcommand(
      "admin-hash", "read a console password on stdin, print its [admin] password_hash");

  std::vector<std::string> intake_files;
  bool intake_log = false, intake_json = false;
  auto* c_intake = app.add_subcommand("intake", "the forwarded-mail intake (stdin when no FILE)");
  c_intake->add_option("FILE", intake_files, "messages or mailboxes");
  c_intake->add_flag("--log", intake_log, "show the intake's decisions instead");
  c_intake->add_flag("--json", intake_json, "with --log: JSON output");
  std::string intake_sender;
  auto* o_sender = c_intake->add_option(
      "--sender", intake_sender,
      "envelope sender of the message on stdin, as the MTA passes it (${sender})");

  bool accounts_json = false;
  auto* c_accounts =
      app.add_subcommand("accounts", "accounts, token state, days to reauth, outages");
  c_accounts->add_flag("--json", accounts_json, "JSON output");

  std::string reauth_account;
  bool reauth_expiring = false;
  auto* c_reauth =
      app.add_subcommand("reauth", "renew an account's OAuth consent (device code flow)");
  c_reauth->add_option("ACCOUNT", reauth_account, "account name");
  c_reauth->add_flag("--expiring", reauth_expiring, "walk every expiring or expired account");

  ReplayArgs replay;
  auto* c_replay =
      app.add_subcommand("replay", "feed a Maildir, mbox or .eml directory through the pipeline");
  c_replay
      ->add_option("PATH", replay.path, "Maildir, mbox, directory of .eml files, or one message")
      ->required();
  c_replay->add_option("--account", replay.account, "account name the mail belongs to")->required();
  c_replay->add_flag("--as-intake", replay.as_intake,
                     "feed the mailbox to the forwarded-mail intake instead");
  c_replay->add_flag("-q,--quiet", replay.quiet, "no progress bar, no summary");

  TicketsArgs tickets;
  auto* c_tickets = app.add_subcommand("tickets", "list or show tickets");
  c_tickets->add_option("ACTION", tickets.action, "list | show | summary")
      ->check(CLI::IsMember({"list", "show", "summary"}));
  c_tickets->add_option("ID", tickets.id, "ticket id (show)");
  c_tickets->add_flag("--json", tickets.json, "JSON output");
  c_tickets->add_flag("--unprocessable", tickets.unprocessable,
                      "list mail that could not be parsed");
  c_tickets->add_flag("--ignored", tickets.ignored, "list auto-replies, bounces and bulk mail");
  c_tickets->add_option("--account", tickets.account, "only this account");

  std::string inspect_file;
  bool inspect_json = false;
  auto* c_inspect = app.add_subcommand("inspect", "parse one message file and print the result");
  c_inspect->add_option("FILE", inspect_file, "an RFC 5322 message")->required();
  c_inspect->add_flag("--json", inspect_json, "JSON output (the documented contract)");

  std::uint64_t since = 0;
  bool jsonl = false;
  auto* c_export = app.add_subcommand("export", "export the event log");
  c_export->add_flag("--jsonl", jsonl, "one JSON object per line")->required();
  c_export->add_option("--since", since, "only events after this sequence number");

  bool verify_json = false;
  auto* c_verify = app.add_subcommand(
      "verify", "check the store's consistency (read-only; safe beside a running `run`)");
  c_verify->add_flag("--json", verify_json, "JSON output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  // config::Config: --config, else ./deskmail.toml when present, else defaults.
  Context ctx;
  if (config_path.empty() && std::filesystem::exists("deskmail.toml"))
    config_path = "deskmail.toml";
  if (!config_path.empty()) {
    auto cfg = config::LoadConfig(config_path);
    if (!cfg.ok()) {
      PrintError(cfg.status().message());
      return kExitUsage;
    }
    ctx.config = std::move(cfg).value();
  }
  SetupLogging(!log_level.empty() ? *config::ParseLogLevel(log_level) : ctx.config.log_level);
  for (const auto& w : ctx.config.warnings) spdlog::warn("{}: {}", ctx.config.path, w);
  if (!ctx.clock.override_error().empty()) {
    PrintError(ctx.clock.override_error());
    return kExitUsage;
  }
  auto tag = recovery::TicketTag::FromPattern(ctx.config.ticket_tag);
  if (!tag.ok()) {
    PrintError((ctx.config.path.empty() ? "config" : ctx.config.path) + ": " +
               tag.status().message());
    return kExitUsage;
  }
  ctx.ingest.tag = *tag;
  ctx.data_dir = !data_dir.empty()              ? data_dir
                 : !ctx.config.data_dir.empty() ? ctx.config.data_dir
                                                : "deskmail-data";
  mime::Init();

  if (*c_admin_hash) return CmdAdminHash();
  if (*c_run) return CmdRun(ctx, run);
  if (*c_serve) {
    if (serve_port >= 0) serve.port = serve_port;
    return CmdServe(ctx, serve);
  }
  if (*c_replay) {
    if (replay.as_intake) return CmdIntake(ctx, {replay.path});
    return CmdReplay(ctx, replay);
  }
  if (*c_intake) {
    if (intake_log) return CmdIntakeLog(ctx, intake_json);
    return CmdIntake(ctx, intake_files,
                     *o_sender ? std::optional<std::string>(intake_sender) : std::nullopt);
  }
  if (*c_accounts) return CmdAccounts(ctx, accounts_json);
  if (*c_reauth) return CmdReauth(ctx, reauth_account, reauth_expiring);
  if (*c_tickets) {
    if (tickets.action == "summary") return CmdSummary(ctx, tickets.json);
    if (tickets.action == "show" && tickets.id == 0) {
      PrintError("tickets show: a ticket ID is required");
      return kExitUsage;
    }
    return CmdTickets(ctx, tickets);
  }
  if (*c_inspect) return CmdInspect(inspect_file, inspect_json);
  if (*c_export) return CmdExport(ctx, since, jsonl);
  if (*c_verify) return CmdVerify(ctx, verify_json);
  return kExitUsage;
}
