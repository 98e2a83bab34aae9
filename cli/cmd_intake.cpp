// deskmail intake: the forwarded-mail intake address. Reads messages from
// files or mailboxes (or one message on stdin, as an MTA pipe transport
// delivers it), unwraps allowed forwards and files them; --log shows the
// decisions.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/cli.h"
#include "cli/views.h"
#include "engine/batch.h"
#include "engine/mailbox.h"
#include "engine/pipeline.h"
#include "engine/source.h"
#include "recovery/intake.h"

namespace cli {
namespace {

std::string IntakeAccount(const config::Config& cfg) {
  for (const auto& a : cfg.accounts) {
    if (a.role == config::Role::kIntake) return a.name;
  }
  return "intake";
}

void PrintOutcome(const std::string& input, const recovery::Outcome& o) {
  std::string where = o.ticket_id != 0 ? " -> ticket #" + std::to_string(o.ticket_id) : "";
  std::printf("%s: %s%s%s%s\n", Shown(input).c_str(), recovery::IntakeDecisionName(o),
              where.c_str(), o.detail.empty() ? "" : ": ", Shown(o.detail).c_str());
}

}  // namespace

int CmdIntake(const Context& ctx, const std::vector<std::string>& inputs,
              const std::optional<std::string>& envelope_sender) {
  if (envelope_sender && !inputs.empty()) {
    PrintError("intake: --sender describes the one message on stdin; not with FILE arguments");
    return kExitUsage;
  }
  // Open every input first: a typo in the third path must not leave the
  // first two half-processed.
  std::vector<std::unique_ptr<engine::MessageSource>> sources;
  for (const auto& path : inputs) {
    auto r = engine::OpenMailbox(path);
    if (!r.ok()) {
      PrintError("intake: " + r.status().message());
      return r.status().code() == util::Code::kNotFound ? kExitUsage : kExitFailure;
    }
    sources.push_back(std::make_unique<engine::MailboxSource>(std::move(r).value()));
  }
  // A hostile or broken sender must not make the intake hold gigabytes.
  if (inputs.empty()) {
    sources.push_back(std::make_unique<engine::StreamSource>(std::cin, "stdin",
                                                             ctx.config.intake_max_message_bytes));
  }
  auto st = ctx.OpenStore(/*read_only=*/false);
  if (!st) return kExitFailure;

  recovery::FilingOptions filing = engine::FilingOptionsFor(ctx.config, ctx.ingest);
  filing.auth.envelope_sender = envelope_sender;
  engine::PipelineOptions po;
  po.account = IntakeAccount(ctx.config);
  po.channel = "intake";
  po.intake = true;
  int rc = kExitOk;
  auto filed = [&](const engine::SourceMessage& in, const recovery::Prepared&,
                   const recovery::Outcome& o) {
    using Kind = recovery::Outcome::Kind;
    if (o.kind == Kind::kEmpty || o.kind == Kind::kUnprocessable) {
      PrintError("intake: " + Shown(in.name) + ": " + recovery::IntakeDecisionName(o) + ": " +
                 Shown(o.detail));
      rc = kExitFailure;
    }
    if (in.error.ok()) PrintOutcome(in.name, o);
  };
  for (auto& source : sources) {
    auto run = engine::RunPipeline(*st, *source, filing, po, ctx.clock, filed);
    if (!run.ok()) {
      PrintError("intake: " + run.status().ToString() +
                 " (the inputs not listed above are not stored; deliver them again)");
      return kExitFailure;
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
