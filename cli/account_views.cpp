// The JSON views of accounts, intake decisions and events: one definition
// shared by the CLI's --json output and the console's /api/v1 (admin/).
#include <algorithm>
#include <map>
#include <vector>

#include "cli/views.h"
#include "engine/alerts.h"
#include "recovery/token_health.h"
#include "util/clock.h"

namespace cli {

nlohmann::json IntakeLogJson(const store::IntakeLogRecord& r) {
  return {{"seq", r.seq},
          {"at", util::FormatRfc3339(r.at)},
          {"account", r.account},
          {"input", r.input},
          {"decision", r.decision},
          {"reason", r.reason},
          {"forwarder", r.forwarder},
          {"original",
           {{"from", r.original_from},
            {"subject", r.original_subject},
            {"message_id", r.original_message_id},
            {"date", r.original_date == 0 ? nlohmann::json(nullptr)
                                          : nlohmann::json(util::FormatRfc3339(r.original_date))}}},
          {"ticket_id", r.ticket_id == 0 ? nlohmann::json(nullptr) : nlohmann::json(r.ticket_id)},
          {"message_id", r.message_id}};
}

nlohmann::json EventJson(const store::Event& e) {
  nlohmann::json line = {{"seq", e.seq}, {"at", util::FormatRfc3339(e.at)}, {"type", e.type}};
  line["data"] = nlohmann::json::parse(e.data_json, nullptr, /*allow_exceptions=*/false);
  return line;
}

nlohmann::json OutageJson(const store::OutageRecord& o, std::uint64_t backfill,
                          std::uint64_t forward) {
  return {
      {"id", o.id},
      {"start", util::FormatRfc3339(o.start)},
      {"end", o.end == 0 ? nlohmann::json(nullptr) : nlohmann::json(util::FormatRfc3339(o.end))},
      {"cause", o.cause},
      {"recovered", o.recovered},
      {"recovered_backfill", backfill},
      {"recovered_forward", forward}};
}

nlohmann::json AccountsReport(const config::Config& cfg, store::ReadTxn* txn, std::int64_t now) {
  // The snapshot `deskmail accounts` and the lifecycle read; without a store
  // yet, each account as a fresh one.
  std::vector<recovery::AccountSnapshot> snaps;
  for (const auto& a : cfg.accounts) {
    if (txn != nullptr) {
      snaps.push_back(engine::SnapshotOf(*txn, a, now));
    } else {
      recovery::AccountSnapshot s;
      s.account = a.name;
      s.state = recovery::StateAt(s.health, engine::PolicyFor(a), now);
      s.alert = s.state == recovery::TokenState::kExpiring;
      snaps.push_back(std::move(s));
    }
  }
  // Recovered mail per outage, backfilled or forwarded: only the messages
  // know their channel, so they are read once, and only when an outage exists.
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> split;  // backfill, forward
  const bool any_outage =
      std::any_of(snaps.begin(), snaps.end(), [](const auto& s) { return !s.outages.empty(); });
  if (txn != nullptr && any_outage) {
    txn->ForEachMessage([&](const store::MessageRecord& m) {
      if (m.outage_id != 0) {
        auto& s = split[m.outage_id];
        (m.channel == "recovered_forward" || m.channel == "intake" ? s.second : s.first)++;
      }
      return true;
    });
  }
  // The banner names the smallest alert window among the expiring accounts.
  std::optional<int> banner_days;
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < cfg.accounts.size(); ++i) {
    const config::AccountConfig& a = cfg.accounts[i];
    const recovery::AccountSnapshot& snap = snaps[i];
    if (snap.alert) banner_days = std::min(banner_days.value_or(a.alert_days), a.alert_days);
    nlohmann::json j = engine::AccountStatusJson(a, snap.health, now);
    j["outages"] = nlohmann::json::array();
    for (const auto& o : snap.outages) {
      j["outages"].push_back(OutageJson(o, split[o.id].first, split[o.id].second));
    }
    list.push_back(std::move(j));
  }
  return {{"alert", banner_days ? nlohmann::json(recovery::AlertBanner(*banner_days))
                                : nlohmann::json(nullptr)},
          {"now", util::FormatRfc3339(now)},
          {"accounts", std::move(list)}};
}

}  // namespace cli
