#include "admin/model.h"

#include <algorithm>

#include "cli/views.h"
#include "util/clock.h"

namespace admin {

int StateRank(const std::string& state) {
  if (state == "expired") return 0;
  if (state == "expiring") return 1;
  if (state == "recovering") return 2;
  return 3;
}

nlohmann::json AccountsModel(const config::Config& cfg, store::ReadTxn& txn, std::int64_t now) {
  return cli::AccountsReport(cfg, &txn, now);
}

std::map<std::string, std::uint64_t> FetchedToday(store::ReadTxn& txn, std::int64_t now) {
  const std::int64_t day_start = now - now % 86400;
  std::map<std::string, std::uint64_t> out;
  txn.ForEachMessage([&](const store::MessageRecord& m) {
    if (m.received_at >= day_start && m.received_at < day_start + 86400) ++out[m.account];
    return true;
  });
  return out;
}

nlohmann::json DashboardModel(const config::Config& cfg, store::ReadTxn& txn, std::int64_t now) {
  const std::int64_t day_start = now - now % 86400;
  nlohmann::json accounts = AccountsModel(cfg, txn, now)["accounts"];
  std::stable_sort(accounts.begin(), accounts.end(), [](const auto& a, const auto& b) {
    return StateRank(a["state"]) < StateRank(b["state"]);
  });
  std::uint64_t fetched = 0, opened = 0;
  for (const auto& [name, n] : FetchedToday(txn, now)) fetched += n;
  txn.ForEachEvent(0, [&](const store::Event& e) {
    if (e.at >= day_start && e.type == "ticket.created") ++opened;
    return true;
  });
  nlohmann::json intake = nlohmann::json::object();
  txn.ForEachIntakeLog(0, [&](const store::IntakeLogRecord& r) {
    if (r.at >= day_start) intake[r.decision] = intake.value(r.decision, 0) + 1;
    return true;
  });
  nlohmann::json open = nlohmann::json::array(), errors = nlohmann::json::array();
  for (const auto& a : accounts) {
    for (const auto& o : a["outages"]) {
      if (o["end"].is_null()) open.push_back({{"account", a["name"]}, {"outage", o}});
    }
    if (!a["last_error"].is_null()) {
      errors.push_back({{"account", a["name"]}, {"error", a["last_error"]}});
    }
  }
  return {
      {"now", util::FormatRfc3339(now)},
      {"accounts", accounts},
      {"today", {{"fetched", fetched}, {"tickets_opened", opened}, {"intake_decisions", intake}}},
      {"open_outages", open},
      {"last_errors", errors}};
}

namespace {
nlohmann::json Paging(std::uint64_t page, std::uint64_t per_page, std::uint64_t total) {
  const std::uint64_t pages = std::max<std::uint64_t>(1, (total + per_page - 1) / per_page);
  return {{"page", page}, {"pages", pages}, {"total", total}, {"per_page", per_page}};
}
}  // namespace

nlohmann::json TicketsModel(store::ReadTxn& txn, std::uint64_t page, std::uint64_t per_page) {
  page = std::max<std::uint64_t>(page, 1);
  std::vector<store::TicketRecord> all;
  txn.ForEachTicket([&](const store::TicketRecord& t) {
    all.push_back(t);
    return true;
  });
  nlohmann::json out = Paging(page, per_page, all.size());
  out["tickets"] = nlohmann::json::array();
  const std::uint64_t first = (page - 1) * per_page;
  for (std::uint64_t i = first; i < all.size() && i < first + per_page; ++i) {
    out["tickets"].push_back(cli::TicketJson(all[all.size() - 1 - i]));
  }
  return out;
}

std::optional<nlohmann::json> TicketModel(store::ReadTxn& txn, std::uint64_t id) {
  auto t = txn.GetTicket(id);
  if (!t) return std::nullopt;
  nlohmann::json j = cli::TicketJson(*t);
  j["messages"] = nlohmann::json::array();
  for (auto mid : t->message_ids) {
    auto m = txn.GetMessage(mid);
    if (!m) continue;
    cli::ReadBack(txn, *m);
    j["messages"].push_back(cli::MessageRecordJson(*m, true));
  }
  return j;
}

nlohmann::json IntakeModel(store::ReadTxn& txn, std::uint64_t page, std::uint64_t per_page) {
  page = std::max<std::uint64_t>(page, 1);
  std::vector<store::IntakeLogRecord> all;
  txn.ForEachIntakeLog(0, [&](const store::IntakeLogRecord& r) {
    all.push_back(r);
    return true;
  });
  nlohmann::json out = Paging(page, per_page, all.size());
  out["entries"] = nlohmann::json::array();
  const std::uint64_t first = (page - 1) * per_page;
  for (std::uint64_t i = first; i < all.size() && i < first + per_page; ++i) {
    out["entries"].push_back(cli::IntakeLogJson(all[all.size() - 1 - i]));
  }
  return out;
}

}  // namespace admin
