#include <cstdio>
#include <map>

#include "cli/cli.h"
#include "cli/views.h"

namespace cli {
namespace {

void PrintJson(const nlohmann::json& j) {
  std::string s = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fputc('\n', stdout);
}

int ListTickets(store::ReadTxn& txn, const TicketsArgs& args) {
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  txn.ForEachTicket([&](const store::TicketRecord& t) {
    if (!args.account.empty() && t.account != args.account) return true;
    if (args.json) {
      out.push_back(TicketJson(t));
    } else {
      std::string who = t.requester_name.empty()
                            ? t.requester_address
                            : t.requester_name + " <" + t.requester_address + ">";
      rows.push_back({TicketLabel(t.id), t.status, std::to_string(t.message_ids.size()),
                      FormatDate(t.updated_at), who, t.subject});
    }
    return true;
  });
  if (args.json) {
    PrintJson(out);
  } else if (rows.empty()) {
    std::printf("no tickets\n");
  } else {
    std::fputs(
        RenderTable({"ID", "STATUS", "MSGS", "UPDATED", "REQUESTER", "SUBJECT"}, rows, 140).c_str(),
        stdout);
  }
  return kExitOk;
}

// Messages that are on no ticket: unprocessable or ignored (invariant 5:
// nothing silently dropped, so they can be listed).
int ListUnticketed(store::ReadTxn& txn, const TicketsArgs& args) {
  const store::Disposition want =
      args.unprocessable ? store::Disposition::kUnprocessable : store::Disposition::kIgnored;
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  txn.ForEachMessage([&](const store::MessageRecord& m) {
    if (m.disposition != want) return true;
    if (!args.account.empty() && m.account != args.account) return true;
    if (args.json) {
      out.push_back(MessageRecordJson(m, false));
    } else {
      rows.push_back({std::to_string(m.id), m.account,
                      m.from_address.empty() ? "-" : m.from_address, m.reason, m.subject});
    }
    return true;
  });
  if (args.json) {
    PrintJson(out);
  } else if (rows.empty()) {
    std::printf("no %s messages\n", args.unprocessable ? "unprocessable" : "ignored");
  } else {
    std::fputs(RenderTable({"MSG", "ACCOUNT", "FROM", "REASON", "SUBJECT"}, rows, 140).c_str(),
               stdout);
  }
  return kExitOk;
}

int ShowTicket(store::ReadTxn& txn, const TicketsArgs& args) {
  auto t = txn.GetTicket(args.id);
  if (!t) {
    PrintError("tickets show: no ticket #" + std::to_string(args.id));
    return kExitFailure;
  }
  std::vector<store::MessageRecord> messages;
  for (auto id : t->message_ids) {
    auto m = txn.GetMessage(id);
    if (!m) continue;
    ReadBack(txn, *m);
    messages.push_back(std::move(*m));
  }
  if (args.json) {
    nlohmann::json j = TicketJson(*t);
    j["messages"] = nlohmann::json::array();
    for (const auto& m : messages) j["messages"].push_back(MessageRecordJson(m, true));
    PrintJson(j);
    return kExitOk;
  }
  // Everything below but the numbers and dates is mail-supplied: Shown.
  std::printf("Ticket #%llu  %s\n", static_cast<unsigned long long>(t->id),
              Shown(t->subject).c_str());
  std::printf("Status:    %s\nAccount:   %s\nRequester: %s <%s>\nCreated:   %s\nUpdated:   %s\n",
              Shown(t->status).c_str(), Shown(t->account).c_str(), Shown(t->requester_name).c_str(),
              Shown(t->requester_address).c_str(), FormatDate(t->created_at).c_str(),
              FormatDate(t->updated_at).c_str());
  for (const auto& m : messages) {
    std::printf("\n--- message %llu  %s  from %s <%s>\n", static_cast<unsigned long long>(m.id),
                FormatDate(m.date != 0 ? m.date : m.received_at).c_str(),
                Shown(m.from_name).c_str(), Shown(m.from_address).c_str());
    std::printf("Subject: %s\n", Shown(m.subject).c_str());
    if (!m.reason.empty()) std::printf("Flag:    %s\n", Shown(m.reason).c_str());
    for (const auto& a : m.attachments) {
      std::printf("Attachment: %s (%s, %llu bytes)\n", Shown(a.filename).c_str(),
                  Shown(a.content_type).c_str(), static_cast<unsigned long long>(a.size));
    }
    std::printf("\n%s\n", Shown(m.body_text, /*multiline=*/true).c_str());
  }
  return kExitOk;
}

}  // namespace

int CmdTickets(const Context& ctx, const TicketsArgs& args) {
  auto store = ctx.OpenStore(/*read_only=*/true);
  if (!store) return kExitFailure;
  int rc = kExitOk;
  util::Status st = store->Read([&](store::ReadTxn& txn) {
    if (args.unprocessable || args.ignored) {
      rc = ListUnticketed(txn, args);
    } else if (args.action == "show") {
      rc = ShowTicket(txn, args);
    } else {
      rc = ListTickets(txn, args);
    }
    return util::Status{};
  });
  if (!st.ok()) {
    PrintError(ctx.data_dir + ": " + st.ToString());
    return kExitFailure;
  }
  return rc;
}

// What the store holds, counted from the records themselves.
int CmdSummary(const Context& ctx, bool json) {
  auto store = ctx.OpenStore(/*read_only=*/true);
  if (!store) return kExitFailure;
  std::uint64_t tickets = 0, messages = 0, threaded = 0, unprocessable = 0, ignored = 0;
  std::map<std::string, std::uint64_t> by_reason;
  util::Status st = store->Read([&](store::ReadTxn& txn) {
    txn.ForEachTicket([&](const store::TicketRecord& t) {
      ++tickets;
      threaded += t.message_ids.size() - 1;
      return true;
    });
    txn.ForEachMessage([&](const store::MessageRecord& m) {
      ++messages;
      if (m.disposition == store::Disposition::kUnprocessable) ++unprocessable;
      if (m.disposition == store::Disposition::kIgnored) {
        ++ignored;
        ++by_reason[m.reason.substr(0, m.reason.find(':'))];
      }
      return true;
    });
    return util::Status{};
  });
  if (!st.ok()) {
    PrintError(ctx.data_dir + ": " + st.ToString());
    return kExitFailure;
  }
  if (json) {
    PrintJson({{"tickets", tickets},
               {"messages", messages},
               {"threaded", threaded},
               {"ignored", ignored},
               {"ignored_by_reason", by_reason},
               {"unprocessable", unprocessable}});
    return kExitOk;
  }
  std::string reasons;
  for (const auto& [r, n] : by_reason)
    reasons += (reasons.empty() ? "" : ", ") + r + " " + std::to_string(n);
  std::printf(
      "%llu tickets, %llu messages: %llu threaded onto existing tickets, %llu ignored%s, "
      "%llu unprocessable (kept raw)\n",
      static_cast<unsigned long long>(tickets), static_cast<unsigned long long>(messages),
      static_cast<unsigned long long>(threaded), static_cast<unsigned long long>(ignored),
      reasons.empty() ? "" : (" (" + reasons + ")").c_str(),
      static_cast<unsigned long long>(unprocessable));
  return kExitOk;
}

}  // namespace cli
