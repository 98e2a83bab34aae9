// deskmail intake: the forwarded-mail intake address. Reads messages from
// files or mailboxes (or one message on stdin, as an MTA pipe transport
// delivers it), unwraps allowed forwards and files them; --log shows the
// decisions.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli/cli.h"
#include "cli/views.h"
#include "engine/batch.h"
#include "engine/mailbox.h"
#include "recovery/intake.h"

namespace cli {
namespace {

std::string IntakeAccount(const config::Config& cfg) {
  for (const auto& a : cfg.accounts) {
    if (a.role == config::Role::kIntake) return a.name;
  }
  return "intake";
}

void PrintOutcome(const std::string& input, const recovery::IntakeOutcome& o) {
  std::string where = o.ticket_id != 0 ? " -> ticket #" + std::to_string(o.ticket_id) : "";
  std::printf("%s: %s%s%s%s\n", Shown(input).c_str(), o.decision.c_str(), where.c_str(),
              o.reason.empty() ? "" : ": ", Shown(o.reason).c_str());
}

// All of stdin, or nullopt as soon as it passes `max` bytes: a hostile or
// broken sender must not make the intake hold gigabytes in memory.
std::optional<std::string> ReadStdinCapped(std::int64_t max) {
  std::string out;
  char buf[1 << 16];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    out.append(buf, static_cast<std::size_t>(std::cin.gcount()));
    if (static_cast<std::int64_t>(out.size()) > max) return std::nullopt;
  }
  return out;
}

}  // namespace

int CmdIntake(const Context& ctx, const std::vector<std::string>& inputs,
              const std::optional<std::string>& envelope_sender) {
  recovery::IntakeOptions opts = engine::IntakeOptionsFor(ctx.config, ctx.ingest);
  if (envelope_sender && !inputs.empty()) {
    PrintError("intake: --sender describes the one message on stdin; not with FILE arguments");
    return kExitUsage;
  }
  opts.auth.envelope_sender = envelope_sender;
  // Open every input first: a typo in the third path must not leave the
  // first two half-processed.
  std::vector<std::unique_ptr<engine::MailboxReader>> readers;
  for (const auto& path : inputs) {
    auto r = engine::OpenMailbox(path);
    if (!r.ok()) {
      PrintError("intake: " + r.status().message());
      return r.status().code() == util::Code::kNotFound ? kExitUsage : kExitFailure;
    }
    readers.push_back(std::move(r).value());
  }
  auto st = ctx.OpenStore(/*read_only=*/false);
  if (!st) return kExitFailure;

  const std::string account = IntakeAccount(ctx.config);
  int rc = kExitOk;
  auto one = [&](const std::string& name, std::string bytes) {
    recovery::Source src{account, "", "intake", ctx.clock.NowSeconds()};
    recovery::Prepared p = recovery::Prepare(src, std::move(bytes));
    recovery::IntakeOutcome out;
    util::Status s = st->Write([&](store::WriteTxn& txn) -> util::Status {
      auto r = recovery::CommitIntake(txn, p, opts, name);
      if (!r.ok()) return r.status();
      out = *r;
      return {};
    });
    if (!s.ok()) {
      PrintError("intake: " + name + ": " + s.ToString() + " (not stored; deliver it again)");
      rc = kExitFailure;
      return;
    }
    if (out.decision == "empty" || out.decision == "unprocessable") {
      PrintError("intake: " + name + ": " + out.decision + ": " + out.reason);
      rc = kExitFailure;
    }
    PrintOutcome(name, out);
  };

  if (inputs.empty()) {
    auto bytes = ReadStdinCapped(ctx.config.intake_max_message_bytes);
    if (!bytes) {
      PrintError("intake: stdin: the message is larger than intake.max_message_mib (" +
                 std::to_string(ctx.config.intake_max_message_bytes >> 20) +
                 " MiB): not stored; raise the limit or have the MTA bounce it");
      return kExitFailure;
    }
    one("stdin", std::move(*bytes));
    return rc;
  }
  for (auto& reader : readers) {
    engine::MailboxItem item;
    while (reader->Next(item)) {
      if (!item.error.ok()) {
        PrintError("intake: " + item.error.message());
        rc = kExitFailure;
        continue;
      }
      one(item.name, std::move(item.bytes));
    }
  }
  return rc;
}

int CmdIntakeLog(const Context& ctx, bool json) {
  auto st = ctx.OpenStore(/*read_only=*/true);
  if (!st) return kExitFailure;
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  util::Status s = st->Read([&](store::ReadTxn& txn) {
    txn.ForEachIntakeLog(0, [&](const store::IntakeLogRecord& r) {
      if (json) {
        out.push_back(IntakeLogJson(r));
      } else {
        rows.push_back({std::to_string(r.seq), FormatDate(r.at), r.decision,
                        r.ticket_id == 0 ? "-" : TicketLabel(r.ticket_id),
                        r.forwarder.empty() ? "-" : r.forwarder,
                        r.original_from.empty() ? "-" : r.original_from, r.reason});
      }
      return true;
    });
    return util::Status{};
  });
  if (!s.ok()) {
    PrintError(ctx.data_dir + ": " + s.ToString());
    return kExitFailure;
  }
  if (json) {
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (rows.empty()) {
    std::printf("the intake log is empty\n");
  } else {
    std::fputs(
        RenderTable({"SEQ", "AT", "DECISION", "TICKET", "FORWARDER", "ORIGINAL FROM", "REASON"},
                    rows, 160)
            .c_str(),
        stdout);
  }
  return kExitOk;
}

}  // namespace cli
