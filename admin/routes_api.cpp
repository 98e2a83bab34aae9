// /api/v1: the pages' data as JSON, in the CLI's --json shapes; /healthz,
// /readyz and /metrics. No answer carries a token: the models never read
// the secrets database.
#include "admin/detail/app.h"
#include "admin/model.h"
#include "cli/views.h"

namespace admin::detail {
namespace {

std::uint64_t UintParam(const httplib::Request& req, const char* name, std::uint64_t dflt) {
  if (!req.has_param(name)) return dflt;
  try {
    return std::stoull(req.get_param_value(name));
  } catch (...) {
    return dflt;
  }
}

template <class F>
void ReadJson(App& app, httplib::Response& res, F fn) {
  nlohmann::json out;
  int status = 200;
  auto rs = app.st.Read([&](store::ReadTxn& txn) {
    status = fn(txn, out);
    return util::Status{};
  });
  if (!rs.ok()) return SendJson(res, {{"error", rs.ToString()}}, 500);
  SendJson(res, out, status);
}

}  // namespace

void AddApiRoutes(App& app, httplib::Server& srv) {
  srv.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  // Ready when the store answers a read.
  srv.Get("/readyz", [&app](const httplib::Request&, httplib::Response& res) {
    auto rs = app.st.Read([](store::ReadTxn& txn) {
      (void)txn.TicketCount();
      return txn.error();
    });
    res.status = rs.ok() ? 200 : 503;
    res.set_content(rs.ok() ? "ready\n" : "store unavailable\n", "text/plain");
  });
  srv.Get("/metrics", [&app](const httplib::Request&, httplib::Response& res) {
    res.set_content(RenderMetrics(app), "text/plain; version=0.0.4; charset=utf-8");
  });

  srv.Get("/api/v1/accounts", [&app](const httplib::Request&, httplib::Response& res) {
    ReadJson(app, res, [&](store::ReadTxn& txn, nlohmann::json& out) {
      out = AccountsModel(app.cfg, txn, app.clock.NowSeconds());
      return 200;
    });
  });
  srv.Get(R"(/api/v1/accounts/(.+))", [&app](const httplib::Request& req, httplib::Response& res) {
    const config::AccountConfig* c = app.cfg.FindAccount(req.matches[1]);
    if (c == nullptr) return SendJson(res, {{"error", "no such account"}}, 404);
    ReadJson(app, res, [&](store::ReadTxn& txn, nlohmann::json& out) {
      out = EditModel(app, txn, *c, app.clock.NowSeconds(), false);
      for (const char* k : {"edit_url", "deadline_day", "last_sync_shown", "needs_action"}) {
        out.erase(k);
      }
      return 200;
    });
  });
  srv.Get("/api/v1/dashboard", [&app](const httplib::Request&, httplib::Response& res) {
    ReadJson(app, res, [&](store::ReadTxn& txn, nlohmann::json& out) {
      out = DashboardModel(app.cfg, txn, app.clock.NowSeconds());
      return 200;
    });
  });
  srv.Get("/api/v1/tickets", [&app](const httplib::Request& req, httplib::Response& res) {
    ReadJson(app, res, [&](store::ReadTxn& txn, nlohmann::json& out) {
      out = TicketsModel(txn, UintParam(req, "page", 1), UintParam(req, "per_page", 50));
      return 200;
    });
  });
  srv.Get(R"(/api/v1/tickets/(\d+))", [&app](const httplib::Request& req, httplib::Response& res) {
    ReadJson(app, res, [&](store::ReadTxn& txn, nlohmann::json& out) {
      auto t = TicketModel(txn, std::stoull(req.matches[1]));
      if (!t) {
        out = {{"error", "no such ticket"}};
        return 404;
      }
      out = std::move(*t);
      return 200;
    });
  });
  srv.Get("/api/v1/intake", [&app](const httplib::Request& req, httplib::Response& res) {
    ReadJson(app, res, [&](store::ReadTxn& txn, nlohmann::json& out) {
      out = IntakeModel(txn, UintParam(req, "page", 1), UintParam(req, "per_page", 50));
      return 200;
    });
  });
  // The export stream: `deskmail export --jsonl` lines after `since`, as a
  // JSON array (at most `limit`), and the seq to ask from next.
  srv.Get("/api/v1/events", [&app](const httplib::Request& req, httplib::Response& res) {
    const std::uint64_t since = UintParam(req, "since", 0);
    const std::uint64_t limit = std::min<std::uint64_t>(UintParam(req, "limit", 1000), 10000);
    ReadJson(app, res, [&](store::ReadTxn& txn, nlohmann::json& out) {
      out = {{"since", since}, {"events", nlohmann::json::array()}, {"next", since}};
      txn.ForEachEvent(since, [&](const store::Event& e) {
        out["events"].push_back(cli::EventJson(e));
        out["next"] = e.seq;
        return out["events"].size() < limit;
      });
      return 200;
    });
  });
}

}  // namespace admin::detail
