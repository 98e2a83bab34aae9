// /metrics: Prometheus text exposition format 0.0.4, computed from the store
// at scrape time (the store is the process's memory: `serve` and `run` show
// the same figures). Checked by `promtool check metrics` in the tests.
#include <filesystem>
#include <map>
#include <sstream>

#include "admin/detail/app.h"
#include "admin/model.h"
#include "engine/alerts.h"
#include "recovery/token_health.h"
#include "util/metrics.h"

namespace admin::detail {
namespace {

// Label values: backslash, double quote and newline escaped (the format's rule).
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

class Writer {
 public:
  void Family(const std::string& name, const std::string& type, const std::string& help) {
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  void Sample(const std::string& name, const std::map<std::string, std::string>& labels,
              double value) {
    out_ << name;
    if (!labels.empty()) {
      out_ << "{";
      bool first = true;
      for (const auto& [k, v] : labels) {
        out_ << (first ? "" : ",") << k << "=\"" << Label(v) << "\"";
        first = false;
      }
      out_ << "}";
    }
    out_ << " " << value << "\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

std::string RenderMetrics(App& app) {
  const std::int64_t now = app.clock.NowSeconds();
  std::map<std::string, std::uint64_t> fetched, opened, unprocessable, ignored;
  std::map<std::string, std::uint64_t> intake;
  std::map<std::string, recovery::AccountHealth> health;
  std::map<std::string, std::uint64_t> open_outage, recovered_open;
  std::uint64_t outages_total = 0, outage_events = 0;
  (void)app.st.Read([&](store::ReadTxn& txn) {
    for (const auto& a : app.cfg.accounts) health[a.name] = recovery::LoadHealth(txn, a.name);
    txn.ForEachMessage([&](const store::MessageRecord& m) {
      ++fetched[m.account];
      if (m.disposition == store::Disposition::kUnprocessable) ++unprocessable[m.account];
      if (m.disposition == store::Disposition::kIgnored) ++ignored[m.account];
      return true;
    });
    txn.ForEachTicket([&](const store::TicketRecord& t) {
      ++opened[t.account];
      return true;
    });
    txn.ForEachIntakeLog(0, [&](const store::IntakeLogRecord& r) {
      ++intake[r.decision];
      return true;
    });
    txn.ForEachOutage([&](const store::OutageRecord& o) {
      ++outages_total;
      recovered_open[o.account] = o.recovered;  // the latest outage's count
      return true;
    });
    txn.ForEachEvent(0, [&](const store::Event& e) {
      if (e.type == "outage.opened") ++outage_events;
      return true;
    });
    return util::Status{};
  });

  Writer w;
  w.Family("deskmail_messages_fetched_total", "counter", "Messages stored, per account.");
  for (const auto& a : app.cfg.accounts)
    w.Sample("deskmail_messages_fetched_total", {{"account", a.name}}, fetched[a.name]);
  w.Family("deskmail_tickets_opened_total", "counter", "Tickets opened, per account.");
  for (const auto& a : app.cfg.accounts)
    w.Sample("deskmail_tickets_opened_total", {{"account", a.name}}, opened[a.name]);

  w.Family("deskmail_errors_total", "counter",
           "Errors by class: unprocessable messages, token outages opened, intake rejections.");
  std::uint64_t unproc = 0;
  for (auto& [k, v] : unprocessable) unproc += v;
  w.Sample("deskmail_errors_total", {{"class", "unprocessable"}}, unproc);
  w.Sample("deskmail_errors_total", {{"class", "token_expired"}}, outage_events);
  w.Sample("deskmail_errors_total", {{"class", "intake_rejected"}}, intake["rejected"]);

  w.Family("deskmail_reauth_deadline_seconds", "gauge",
           "Seconds until the account's refresh token must be renewed (negative once passed).");
  for (const auto& a : app.cfg.accounts) {
    auto d = recovery::ReauthDeadline(health[a.name], engine::PolicyFor(a));
    if (d) w.Sample("deskmail_reauth_deadline_seconds", {{"account", a.name}}, double(*d - now));
  }
  w.Family("deskmail_account_state", "gauge", "1 for the account's token state, 0 for the others.");
  for (const auto& a : app.cfg.accounts) {
    auto st = recovery::StateAt(health[a.name], engine::PolicyFor(a), now);
    for (auto s : {recovery::TokenState::kActive, recovery::TokenState::kExpiring,
                   recovery::TokenState::kExpired, recovery::TokenState::kRecovering}) {
      w.Sample("deskmail_account_state",
               {{"account", a.name}, {"state", recovery::TokenStateName(s)}}, s == st ? 1 : 0);
    }
  }
  w.Family("deskmail_outage_open", "gauge", "1 while the account has an open outage.");
  for (const auto& a : app.cfg.accounts) {
    w.Sample("deskmail_outage_open", {{"account", a.name}},
             health[a.name].open_outage != 0 ? 1 : 0);
  }
  w.Family("deskmail_backfill_recovering", "gauge",
           "1 while the account is backfilling after a reauthentication.");
  for (const auto& a : app.cfg.accounts) {
    w.Sample("deskmail_backfill_recovering", {{"account", a.name}},
             health[a.name].recovering ? 1 : 0);
  }
  w.Family("deskmail_backfill_recovered_messages", "gauge",
           "Messages recovered so far from the account's latest outage.");
  for (const auto& a : app.cfg.accounts) {
    w.Sample("deskmail_backfill_recovered_messages", {{"account", a.name}}, recovered_open[a.name]);
  }
  w.Family("deskmail_intake_decisions_total", "counter",
           "Forwarded-mail intake decisions by kind.");
  for (const char* k : {"accepted", "appended", "duplicate", "rejected", "not-forward"}) {
    w.Sample("deskmail_intake_decisions_total", {{"decision", k}}, intake[k]);
  }
  w.Family("deskmail_outages_total", "counter", "Outage windows recorded.");
  w.Sample("deskmail_outages_total", {}, outages_total);

  // Fetch batch latency: observed in this process by engine/sync (zero in `serve`).
  auto h = util::FetchBatchLatency().Snapshot();
  w.Family("deskmail_fetch_batch_seconds", "histogram", "Latency of one IMAP fetch batch.");
  for (std::size_t i = 0; i < h.bounds.size(); ++i) {
    std::ostringstream le;
    le << h.bounds[i];
    w.Sample("deskmail_fetch_batch_seconds_bucket", {{"le", le.str()}}, h.cumulative[i]);
  }
  w.Sample("deskmail_fetch_batch_seconds_bucket", {{"le", "+Inf"}}, h.count);
  w.Sample("deskmail_fetch_batch_seconds_sum", {}, h.sum);
  w.Sample("deskmail_fetch_batch_seconds_count", {}, h.count);

  std::error_code ec;
  auto file = std::filesystem::file_size(std::filesystem::path(app.st.dir()) / "data.mdb", ec);
  w.Family("deskmail_store_size_bytes", "gauge", "Size of the LMDB data file.");
  w.Sample("deskmail_store_size_bytes", {}, ec ? 0 : double(file));
  w.Family("deskmail_store_map_size_bytes", "gauge", "The LMDB map size (grows on demand).");
  w.Sample("deskmail_store_map_size_bytes", {}, double(app.st.map_size()));
  w.Family("deskmail_store_map_used_ratio", "gauge", "Data file size over map size.");
  w.Sample("deskmail_store_map_used_ratio", {},
           app.st.map_size() == 0 || ec ? 0 : double(file) / double(app.st.map_size()));
  return w.str();
}

}  // namespace admin::detail
