// The HTML pages: dashboard, Support Emails, Edit, help, tickets, intake
// log, login. Every value goes through a mustache template ({{x}} escapes).
#include <algorithm>

#include "admin/detail/app.h"
#include "admin/detail/assets.h"
#include "admin/model.h"
#include "admin/render.h"
#include "util/clock.h"

namespace admin::detail {
namespace {

constexpr std::uint64_t kPerPage = 50;

std::uint64_t PageParam(const httplib::Request& req) {
  if (!req.has_param("page")) return 1;
  try {
    return std::max<std::uint64_t>(1, std::stoull(req.get_param_value("page")));
  } catch (...) {
    return 1;
  }
}

// Presentation keys for a page of a paged list.
void AddPager(nlohmann::json& m, const std::string& base) {
  const auto page = m["page"].get<std::uint64_t>(), pages = m["pages"].get<std::uint64_t>();
  if (page > 1) m["prev"] = base + "?page=" + std::to_string(page - 1);
  if (page < pages) m["next"] = base + "?page=" + std::to_string(page + 1);
}

std::string Day(const nlohmann::json& rfc3339) {
  return rfc3339.is_string() ? rfc3339.get<std::string>().substr(0, 10) : "-";
}

// One row of the Support Emails table / dashboard list.
nlohmann::json AccountRow(const config::AccountConfig& c, nlohmann::json a, std::uint64_t today) {
  a["provider"] = std::string(config::Name(c.provider));
  a["role"] = std::string(config::Name(c.role));
  a["deadline_day"] = Day(a["reauth_deadline"]);
  a["last_sync_shown"] = a["last_sync"].is_string() ? a["last_sync"] : nlohmann::json("never");
  a["today"] = today;
  a["needs_action"] = a["state"] == "expiring" || a["state"] == "expired";
  a["edit_url"] = "/emails/" + UrlEncode(c.name);
  for (const auto& o : a["outages"]) {
    if (o["end"].is_null()) a["open_outage"] = o;
  }
  return a;
}

nlohmann::json Settings(const config::AccountConfig& c) {
  std::string folders;
  for (const auto& f : c.folders) folders += (folders.empty() ? "" : ", ") + f;
  std::vector<std::pair<std::string, std::string>> rows = {
      {"name", c.name},
      {"address", c.address},
      {"role", std::string(config::Name(c.role))},
      {"provider", std::string(config::Name(c.provider))},
      {"host", c.host + ":" + std::to_string(c.port)},
      {"tls", std::string(config::Name(c.tls))},
      {"username", c.username},
      {"auth", std::string(config::Name(c.auth))},
      {"tenant", c.tenant},
      {"client_id", c.client_id},
      {"client_secret_env", c.client_secret_env.empty() ? "" : "$" + c.client_secret_env},
      {"token_endpoint", c.token_endpoint},
      {"authorize_endpoint", c.authorize_endpoint},
      {"folders", folders},
      {"poll_interval_s", std::to_string(c.poll_interval_s)},
      {"post_action", std::string(config::Name(c.post_action))},
      {"reauth_policy", std::string(config::Name(c.reauth_policy))},
      {"refresh_token_lifetime_days", std::to_string(c.refresh_token_lifetime_days)},
      {"alert_days", std::to_string(c.alert_days)},
  };
  nlohmann::json out = nlohmann::json::array();
  for (auto& [k, v] : rows) {
    if (!v.empty()) out.push_back({{"key", k}, {"value", v}});
  }
  return out;
}

}  // namespace

// The Edit page's model (also /api/v1/accounts/NAME).
nlohmann::json EditModel(App& app, store::ReadTxn& txn, const config::AccountConfig& c,
                         std::int64_t now, bool with_svg) {
  nlohmann::json all = AccountsModel(app.cfg, txn, now)["accounts"];
  nlohmann::json a;
  for (auto& x : all) {
    if (x["name"] == c.name) a = x;
  }
  auto today = FetchedToday(txn, now);
  nlohmann::json m = AccountRow(c, a, today[c.name]);
  m["settings"] = Settings(c);
  m["timeline"] = TimelineData(txn, c.name, a["outages"], now);
  if (with_svg) m["timeline_svg"] = TimelineSvg(app, txn, c.name, a["outages"], now);
  nlohmann::json history = nlohmann::json::array();
  for (const auto& o : a["outages"]) history.push_back(o);
  std::reverse(history.begin(), history.end());
  m["outage_history"] = history;
  if (m["state"] == "recovering" && !history.empty()) {
    m["backfill"] = {{"outage", history[0]["id"]}, {"recovered", history[0]["recovered"]}};
  }
  return m;
}

void AddPageRoutes(App& app, httplib::Server& srv) {
  srv.Get("/style.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(Asset("console.css")), "text/css");
  });

  srv.Get("/", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    const std::int64_t now = app.clock.NowSeconds();
    nlohmann::json m;
    auto rs = app.st.Read([&](store::ReadTxn& txn) {
      m = DashboardModel(app.cfg, txn, now);
      auto today = FetchedToday(txn, now);
      for (auto& a : m["accounts"]) {
        const auto* c = app.cfg.FindAccount(a["name"]);
        if (c != nullptr) a = AccountRow(*c, a, today[c->name]);
      }
      return util::Status{};
    });
    if (!rs.ok()) return SendError(app, s, res, 500, "the store: " + rs.ToString());
    nlohmann::json intake = nlohmann::json::array();
    for (auto it = m["today"]["intake_decisions"].begin();
         it != m["today"]["intake_decisions"].end(); ++it) {
      intake.push_back({{"decision", it.key()}, {"count", it.value()}});
    }
    m["intake_list"] = intake;
    m["csrf"] = s.s.csrf;
    m["any_need"] =
        std::any_of(m["accounts"].begin(), m["accounts"].end(),
                    [](const nlohmann::json& a) { return a["needs_action"].get<bool>(); });
    SendPage(res, 200, Page(app, s, "Dashboard", RenderTemplate("dashboard", m)));
  });

  srv.Get("/emails", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    const std::int64_t now = app.clock.NowSeconds();
    const std::string filter = req.has_param("state") ? req.get_param_value("state") : "";
    nlohmann::json rows = nlohmann::json::array();
    auto rs = app.st.Read([&](store::ReadTxn& txn) {
      nlohmann::json all = AccountsModel(app.cfg, txn, now)["accounts"];
      auto today = FetchedToday(txn, now);
      for (std::size_t i = 0; i < all.size(); ++i) {
        const std::string state = all[i]["state"];
        if (!filter.empty() && ("," + filter + ",").find("," + state + ",") == std::string::npos)
          continue;
        rows.push_back(AccountRow(app.cfg.accounts[i], all[i], today[app.cfg.accounts[i].name]));
      }
      return util::Status{};
    });
    if (!rs.ok()) return SendError(app, s, res, 500, "the store: " + rs.ToString());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return StateRank(a["state"]) < StateRank(b["state"]);
    });
    nlohmann::json m = {
        {"accounts", rows},
        {"filter", filter},
        {"csrf", s.s.csrf},
        {"any_need", std::any_of(rows.begin(), rows.end(), [](const nlohmann::json& a) {
           return a["needs_action"].get<bool>();
         })}};
    SendPage(res, 200, Page(app, s, "Support Emails", RenderTemplate("emails", m)));
  });

  srv.Get(R"(/emails/(.+))", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    const config::AccountConfig* c = app.cfg.FindAccount(req.matches[1]);
    if (c == nullptr) return SendError(app, s, res, 404, "No support email is named that.");
    nlohmann::json m;
    auto rs = app.st.Read([&](store::ReadTxn& txn) {
      m = EditModel(app, txn, *c, app.clock.NowSeconds(), true);
      return util::Status{};
    });
    if (!rs.ok()) return SendError(app, s, res, 500, "the store: " + rs.ToString());
    m["csrf"] = s.s.csrf;
    m["oauth"] = c->auth == config::Auth::kXOAuth2 && !c->client_id.empty();
    m["in_serve"] = !app.opts.with_pollers;
    m["redirect_uri"] = app.public_url + "/oauth/callback";
    SendPage(res, 200, Page(app, s, "Edit " + c->name, RenderTemplate("edit", m)));
  });

  srv.Get("/help", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    int days = app.cfg.accounts.empty() ? 10 : app.cfg.accounts[0].alert_days;
    SendPage(res, 200,
             Page(app, s, "Reauthentication help",
                  RenderTemplate("help", {{"alert_days", days},
                                          {"redirect_uri", app.public_url + "/oauth/callback"}})));
  });

  srv.Get("/tickets", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    nlohmann::json m;
    (void)app.st.Read([&](store::ReadTxn& txn) {
      m = TicketsModel(txn, PageParam(req), kPerPage);
      return util::Status{};
    });
    AddPager(m, "/tickets");
    SendPage(res, 200, Page(app, s, "Tickets", RenderTemplate("tickets", m)));
  });

  srv.Get(R"(/tickets/(\d+))", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    std::optional<nlohmann::json> m;
    (void)app.st.Read([&](store::ReadTxn& txn) {
      m = TicketModel(txn, std::stoull(req.matches[1]));
      return util::Status{};
    });
    if (!m) return SendError(app, s, res, 404, "No such ticket.");
    SendPage(res, 200, Page(app, s, "Ticket", RenderTemplate("ticket", *m)));
  });

  srv.Get("/intake", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    nlohmann::json m;
    (void)app.st.Read([&](store::ReadTxn& txn) {
      m = IntakeModel(txn, PageParam(req), kPerPage);
      return util::Status{};
    });
    AddPager(m, "/intake");
    SendPage(res, 200, Page(app, s, "Intake log", RenderTemplate("intake", m)));
  });

  srv.Get("/login", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    SendPage(res, 200, Page(app, s, "Sign in", RenderTemplate("login", {{"csrf", s.s.csrf}})));
  });

  srv.Post("/login", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    if (!CsrfOk(s, req)) return SendError(app, s, res, 403, "The form expired: reload and retry.");
    const std::int64_t now = app.clock.NowSeconds();
    const std::string client = req.remote_addr;
    if (!app.limiter.Allowed(client, now)) {
      return SendError(app, s, res, 429, "Too many failed sign-ins: wait five minutes.");
    }
    if (app.password_hash.empty() ||
        !VerifyPassword(req.get_param_value("password"), app.password_hash)) {
      app.limiter.Failed(client, now);
      return SendPage(
          res, 401,
          Page(app, s, "Sign in",
               RenderTemplate("login", {{"csrf", s.s.csrf}, {"error", "Wrong password."}})));
    }
    app.limiter.Succeeded(client);
    std::string fresh = app.sessions.Rotate(s.id, now);
    app.sessions.SetAuthenticated(fresh, true);
    res.set_header("Set-Cookie", "dm_session=" + fresh + "; Path=/; HttpOnly; SameSite=Strict" +
                                     (app.tls ? "; Secure" : ""));
    res.status = 303;
    res.set_header("Location", "/");
  });

  srv.Post("/logout", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    if (!CsrfOk(s, req)) return SendError(app, s, res, 403, "The form expired: reload and retry.");
    app.sessions.Drop(s.id);
    res.status = 303;
    res.set_header("Location", "/login");
  });
}

}  // namespace admin::detail
