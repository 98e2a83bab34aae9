// The JSON views of accounts, intake decisions and events: one definition
// shared by the CLI's --json output and the console's /api/v1 (admin/).
#include <map>

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
  std::map<std::string, recovery::AccountHealth> health;
  std::map<std::string, std::vector<store::OutageRecord>> outages;
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> split;  // backfill, forward
  if (txn != nullptr) {
    for (const auto& a : cfg.accounts) health[a.name] = recovery::LoadHealth(*txn, a.name);
    txn->ForEachOutage([&](const store::OutageRecord& o) {
      outages[o.account].push_back(o);
      return true;
    });
    if (!outages.empty()) {
      txn->ForEachMessage([&](const store::MessageRecord& m) {
        if (m.outage_id != 0) {
          auto& s = split[m.outage_id];
          (m.channel == "recovered_forward" || m.channel == "intake" ? s.second : s.first)++;
        }
        return true;
      });
    }
  }
  // The banner names the smallest alert window among the expiring accounts.
  std::optional<int> banner_days;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : cfg.accounts) {
    const recovery::AccountHealth& h = health[a.name];
    if (recovery::StateAt(h, engine::PolicyFor(a), now) == recovery::TokenState::kExpiring) {
      banner_days = std::min(banner_days.value_or(a.alert_days), a.alert_days);
    }
    nlohmann::json j = engine::AccountStatusJson(a, h, now);
    j["outages"] = nlohmann::json::array();
    for (const auto& o : outages[a.name]) {
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
