// Reauthenticate in the browser: the OAuth 2.0 authorization code grant
// with PKCE S256 (RFC 6749 4.1, RFC 7636), the identity check, the walk
// over every account that needs it, and the device-code fallback. Both
// ways end in oauth::CompleteReauth, the routine `deskmail reauth` uses.
#include <spdlog/spdlog.h>

#include "admin/detail/app.h"
#include "admin/model.h"
#include "admin/render.h"
#include "oauth/client.h"
#include "oauth/reauth.h"
#include "oauth/source.h"
#include "util/clock.h"

namespace admin::detail {
namespace {

constexpr std::int64_t kStateLifetime = 600;  // 10 minutes

// The scope asked for in the browser: the account's IMAP scope plus OpenID
// Connect's, so the token endpoint returns an ID token naming who signed in.
std::string BrowserScope(const config::AccountConfig& a) {
  std::string scope = oauth::ScopeFor(a);
  for (const char* s : {"openid", "email", "profile"}) {
    if ((" " + scope + " ").find(std::string(" ") + s + " ") == std::string::npos) {
      scope += std::string(scope.empty() ? "" : " ") + s;
    }
  }
  return scope;
}

std::string RedirectUri(const App& app) { return app.public_url + "/oauth/callback"; }

// Why `a` cannot be reauthenticated here; "" when it can.
std::string CannotReauth(const App& app, const config::AccountConfig& a) {
  if (!oauth::UsesOAuthRefresh(a) || a.client_id.empty()) {
    return "Support email " + a.name + " does not sign in through OAuth (auth = \"" +
           std::string(config::Name(a.auth)) + "\"): there is nothing to reauthenticate.";
  }
  if (!app.box) return "The console has no key to seal tokens with (no OAuth account at start).";
  return "";
}

void Redirect(httplib::Response& res, const std::string& to) {
  res.status = 303;
  res.set_header("Location", to);
}

// Creates the single-use state and sends the browser to the provider.
void StartAuthorize(App& app, const SessionRef& s, const config::AccountConfig& a,
                    httplib::Response& res) {
  if (auto why = CannotReauth(app, a); !why.empty()) return SendError(app, s, res, 400, why);
  const std::string endpoint = oauth::AuthorizeEndpointFor(a);
  if (endpoint.empty()) {
    return SendError(app, s, res, 400,
                     "Support email " + a.name +
                         " has no authorize_endpoint (provider \"custom\"): set one, or use the "
                         "device code below.");
  }
  const std::int64_t now = app.clock.NowSeconds();
  PendingAuth p{a.name, s.id, RandomToken(48), now + kStateLifetime};
  const std::string state = RandomToken();
  std::vector<std::pair<std::string, std::string>> q = {
      {"client_id", a.client_id},
      {"response_type", "code"},
      {"redirect_uri", RedirectUri(app)},
      {"response_mode", "query"},
      {"scope", BrowserScope(a)},
      {"state", state},
      {"code_challenge", oauth::PkceChallengeS256(p.verifier)},
      {"code_challenge_method", "S256"},
      {"login_hint", a.address},
      {"prompt", "select_account"}};
  if (a.provider == config::Provider::kGoogle) {
    q.back().second = "consent";  // Google issues a refresh token only with consent
    q.emplace_back("access_type", "offline");
  }
  {
    std::lock_guard lock(app.mu);
    for (auto it = app.pending.begin(); it != app.pending.end();) {
      it = it->second.expires_at < now ? app.pending.erase(it) : std::next(it);
    }
    app.pending[state] = std::move(p);
  }
  spdlog::info("admin: reauthentication of {} started in the browser", a.name);
  Redirect(res,
           endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&") + oauth::FormEncode(q));
}

nlohmann::json StateRow(App& app, const config::AccountConfig& a) {
  nlohmann::json m;
  (void)app.st.Read([&](store::ReadTxn& txn) {
    m = EditModel(app, txn, a, app.clock.NowSeconds(), false);
    return util::Status{};
  });
  m.erase("timeline");
  return m;
}

// The result page of one sign-in, with the walk's next step when one runs.
void SendResult(App& app, const SessionRef& s, httplib::Response& res, int status,
                const config::AccountConfig& a, nlohmann::json m) {
  m["account"] = StateRow(app, a);
  m["csrf"] = s.s.csrf;
  m["in_serve"] = !app.opts.with_pollers;
  {
    std::lock_guard lock(app.mu);
    if (auto it = app.walks.find(s.id); it != app.walks.end()) {
      if (!it->second.todo.empty()) {
        m["walk_next"] = it->second.todo.front();
      } else {
        m["walk_done"] = true;
      }
      m["walk_left"] = it->second.todo.size();
    }
  }
  SendPage(res, status,
           Page(app, s, "Reauthenticate " + a.name, RenderTemplate("reauth_result", m)));
}

void WalkRecord(App& app, const SessionRef& s, const std::string& account,
                const std::string& outcome) {
  std::lock_guard lock(app.mu);
  auto it = app.walks.find(s.id);
  if (it == app.walks.end()) return;
  auto& todo = it->second.todo;
  if (!todo.empty() && todo.front() == account) todo.erase(todo.begin());
  it->second.results.push_back({{"account", account}, {"outcome", outcome}});
}

void Callback(App& app, const httplib::Request& req, httplib::Response& res) {
  SessionRef s = SessionOf(app, req, res);
  const std::int64_t now = app.clock.NowSeconds();
  std::optional<PendingAuth> p;
  {
    std::lock_guard lock(app.mu);
    auto it = app.pending.find(req.get_param_value("state"));
    if (it != app.pending.end()) {
      p = std::move(it->second);
      app.pending.erase(it);  // single use, whatever follows
    }
  }
  if (!p) {
    spdlog::warn("admin: OAuth callback with an unknown or already used state refused");
    return SendError(app, s, res, 400,
                     "This sign-in answer is unknown or was already used. Start again from the "
                     "support email's Edit page.");
  }
  if (p->session_id != s.id) {
    spdlog::warn("admin: OAuth callback for {} from another browser session refused", p->account);
    return SendError(app, s, res, 400,
                     "This sign-in was started in another browser session. Start again from the "
                     "support email's Edit page.");
  }
  if (now > p->expires_at) {
    return SendError(app, s, res, 400,
                     "This sign-in took longer than 10 minutes and has expired. Start again.");
  }
  const config::AccountConfig* a = app.cfg.FindAccount(p->account);
  if (a == nullptr) return SendError(app, s, res, 404, "No support email is named that.");
  if (req.has_param("error")) {
    const std::string err =
        req.get_param_value("error") + ": " + req.get_param_value("error_description");
    spdlog::warn("admin: sign-in for {} refused by the identity provider: {}", a->name, err);
    return SendResult(app, s, res, 400, *a,
                      {{"refused", "The identity provider said " + err}, {"retry", true}});
  }
  oauth::OAuthResult r = oauth::ExchangeAuthorizationCode(
      oauth::EndpointsFor(*a), a->client_id, oauth::ClientSecretFor(*a),
      req.get_param_value("code"), RedirectUri(app), p->verifier);
  if (!r.ok) {
    spdlog::warn("admin: code exchange for {} failed: {}", a->name, r.error.Summary());
    return SendResult(app, s, res, 502, *a,
                      {{"refused", "The token endpoint refused the sign-in: " + r.error.Summary()},
                       {"retry", true}});
  }
  const std::string who = oauth::IdTokenIdentity(r.ok->id_token);
  if (!oauth::IdentityMatches(*a, who)) {
    // The new tokens go out of scope here, unsaved: the old one stays.
    spdlog::warn("admin: {} signed in for support email {} ({}): refused, old token kept",
                 who.empty() ? "an unnamed identity" : who, a->name, a->address);
    const std::string shown = who.empty() ? "an account the provider did not name" : who;
    return SendResult(
        app, s, res, 403, *a,
        {{"refused", "Signed in as " + shown + ", but this support email is " + a->address +
                         " \u2014 sign in with " + a->address + "'s account."},
         {"retry", true}});
  }
  auto done = oauth::CompleteReauth(app.st, *app.box, *a, r.ok->refresh_token, now, "browser");
  if (!done.ok()) {
    spdlog::error("admin: reauthentication of {} not saved: {}", a->name, done.status().ToString());
    return SendResult(app, s, res, 500, *a,
                      {{"refused", "Signed in, but saving failed: " + done.status().ToString()},
                       {"retry", true}});
  }
  spdlog::info("admin: {} reauthenticated in the browser as {}; next deadline {}", a->name, who,
               util::FormatRfc3339(done->deadline));
  if (app.opts.wake) app.opts.wake(a->name);
  WalkRecord(app, s, a->name, "reauthenticated");
  nlohmann::json m = {
      {"success", true}, {"identity", who}, {"deadline", util::FormatRfc3339(done->deadline)}};
  if (done->closed_outage != 0) m["closed_outage"] = done->closed_outage;
  SendResult(app, s, res, 200, *a, m);
}

void DevicePoller(App& app, std::string account, oauth::DeviceCode code, std::stop_token stop) {
  const config::AccountConfig* a = app.cfg.FindAccount(account);
  std::int64_t interval = std::max<std::int64_t>(code.interval, 1);
  const std::int64_t deadline = app.clock.NowSeconds() + code.expires_in;
  auto set = [&](const std::string& status, const std::string& msg) {
    std::lock_guard lock(app.mu);
    app.device_flows[account].status = status;
    app.device_flows[account].message = msg;
  };
  while (!stop.stop_requested()) {
    for (std::int64_t i = 0; i < interval * 10 && !stop.stop_requested(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (stop.stop_requested()) return;
    auto r = oauth::PollDeviceToken(oauth::EndpointsFor(*a), a->client_id,
                                    oauth::ClientSecretFor(*a), code.device_code);
    switch (r.state) {
      case oauth::DevicePollState::kPending:
        break;
      case oauth::DevicePollState::kSlowDown:
        interval += 5;
        break;
      case oauth::DevicePollState::kSuccess: {
        // The device flow has no ID token to check: the provider's sign-in
        // page showed the login hint, and IMAP will refuse another mailbox.
        auto done = oauth::CompleteReauth(app.st, *app.box, *a, r.tokens.refresh_token,
                                          app.clock.NowSeconds(), "device");
        if (!done.ok()) return set("failed", done.status().ToString());
        if (app.opts.wake) app.opts.wake(account);
        return set("done", "Reauthenticated; the next deadline is " +
                               util::FormatRfc3339(done->deadline) + ".");
      }
      case oauth::DevicePollState::kDenied:
        return set("failed", "The sign-in was declined.");
      case oauth::DevicePollState::kExpired:
        return set("failed", "The code expired before anyone signed in.");
      case oauth::DevicePollState::kError:
        if (!r.error.IsTransient()) return set("failed", r.error.Summary());
        break;
    }
    if (app.clock.NowSeconds() > deadline) return set("failed", "The code expired.");
  }
}

}  // namespace

void AddReauthRoutes(App& app, httplib::Server& srv) {
  srv.Post(R"(/emails/(.+)/reauth)", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    if (!CsrfOk(s, req)) return SendError(app, s, res, 403, "The form expired: reload and retry.");
    const config::AccountConfig* a = app.cfg.FindAccount(req.matches[1]);
    if (a == nullptr) return SendError(app, s, res, 404, "No support email is named that.");
    StartAuthorize(app, s, *a, res);
  });

  // The provider's redirect is a cross-site navigation: browsers do not send
  // the SameSite=Strict session cookie with it. This page hands the answer
  // on to /oauth/complete by a same-site navigation (meta refresh, no script),
  // which does carry the cookie, so the state can be checked against the session.
  srv.Get("/oauth/callback", [](const httplib::Request& req, httplib::Response& res) {
    std::vector<std::pair<std::string, std::string>> q;
    for (const char* k : {"code", "state", "error", "error_description"}) {
      if (req.has_param(k)) q.emplace_back(k, req.get_param_value(k));
    }
    SendPage(res, 200,
             RenderTemplate("handoff", {{"next", "/oauth/complete?" + oauth::FormEncode(q)}}));
  });
  srv.Get("/oauth/complete",
          [&app](const httplib::Request& req, httplib::Response& res) { Callback(app, req, res); });

  srv.Post("/reauth-all", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    if (!CsrfOk(s, req)) return SendError(app, s, res, 403, "The form expired: reload and retry.");
    Walk w;
    (void)app.st.Read([&](store::ReadTxn& txn) {
      nlohmann::json all = AccountsModel(app.cfg, txn, app.clock.NowSeconds())["accounts"];
      for (std::size_t i = 0; i < all.size(); ++i) {
        if ((all[i]["state"] == "expired" || all[i]["state"] == "expiring") &&
            CannotReauth(app, app.cfg.accounts[i]).empty()) {
          w.todo.push_back(app.cfg.accounts[i].name);
        }
      }
      std::stable_sort(w.todo.begin(), w.todo.end(), [&](const auto& x, const auto& y) {
        auto rank = [&](const std::string& n) {
          for (const auto& a : all) {
            if (a["name"] == n) return StateRank(a["state"]);
          }
          return 9;
        };
        return rank(x) < rank(y);
      });
      return util::Status{};
    });
    if (w.todo.empty()) return Redirect(res, "/emails");
    const std::string first = w.todo.front();
    {
      std::lock_guard lock(app.mu);
      app.walks[s.id] = std::move(w);
    }
    StartAuthorize(app, s, *app.cfg.FindAccount(first), res);
  });

  srv.Post("/reauth-all/next", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    if (!CsrfOk(s, req)) return SendError(app, s, res, 403, "The form expired: reload and retry.");
    std::string next;
    {
      std::lock_guard lock(app.mu);
      auto it = app.walks.find(s.id);
      if (it == app.walks.end()) return Redirect(res, "/emails");
      auto& todo = it->second.todo;
      if (req.has_param("skip") && !todo.empty()) {
        it->second.results.push_back({{"account", todo.front()}, {"outcome", "skipped"}});
        todo.erase(todo.begin());
      }
      if (!todo.empty()) next = todo.front();
    }
    if (next.empty()) return Redirect(res, "/reauth-all/summary");
    StartAuthorize(app, s, *app.cfg.FindAccount(next), res);
  });

  srv.Get("/reauth-all/summary", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    nlohmann::json results = nlohmann::json::array();
    {
      std::lock_guard lock(app.mu);
      if (auto it = app.walks.find(s.id); it != app.walks.end()) {
        results = it->second.results;
        for (const auto& left : it->second.todo) {
          results.push_back({{"account", left}, {"outcome", "not done"}});
        }
        app.walks.erase(it);
      }
    }
    for (auto& r : results) {
      if (const auto* a = app.cfg.FindAccount(r["account"]))
        r["state"] = StateRow(app, *a)["state"];
    }
    SendPage(res, 200,
             Page(app, s, "Reauthentication summary",
                  RenderTemplate("reauth_summary", {{"results", results}})));
  });

  srv.Post(R"(/emails/(.+)/device)", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    if (!CsrfOk(s, req)) return SendError(app, s, res, 403, "The form expired: reload and retry.");
    const config::AccountConfig* a = app.cfg.FindAccount(req.matches[1]);
    if (a == nullptr) return SendError(app, s, res, 404, "No support email is named that.");
    if (auto why = CannotReauth(app, *a); !why.empty()) return SendError(app, s, res, 400, why);
    auto d = oauth::StartDeviceFlow(oauth::EndpointsFor(*a), a->client_id, oauth::ScopeFor(*a));
    if (!d.ok) {
      return SendError(app, s, res, 502, "The device-code endpoint refused: " + d.error.Summary());
    }
    {
      std::lock_guard lock(app.mu);
      DeviceFlowState st;
      st.user_code = d.ok->user_code;
      st.verification_uri = d.ok->verification_uri;
      st.expires_at = app.clock.NowSeconds() + d.ok->expires_in;
      app.device_flows[a->name] = st;
      app.workers.emplace_back([&app, name = a->name, code = *d.ok](std::stop_token stop) {
        DevicePoller(app, name, code, stop);
      });
    }
    Redirect(res, "/emails/" + UrlEncode(a->name) + "/device");
  });

  srv.Get(R"(/emails/(.+)/device)", [&app](const httplib::Request& req, httplib::Response& res) {
    SessionRef s = SessionOf(app, req, res);
    const config::AccountConfig* a = app.cfg.FindAccount(req.matches[1]);
    if (a == nullptr) return SendError(app, s, res, 404, "No support email is named that.");
    nlohmann::json m = {
        {"name", a->name}, {"address", a->address}, {"edit_url", "/emails/" + UrlEncode(a->name)}};
    {
      std::lock_guard lock(app.mu);
      auto it = app.device_flows.find(a->name);
      if (it == app.device_flows.end()) return Redirect(res, "/emails/" + UrlEncode(a->name));
      m["user_code"] = it->second.user_code;
      m["verification_uri"] = it->second.verification_uri;
      m["waiting"] = it->second.status == "waiting";
      m["status"] = it->second.status;
      m["message"] = it->second.message;
    }
    if (m["waiting"].get<bool>()) res.set_header("Refresh", "5");
    SendPage(res, 200, Page(app, s, "Device sign-in " + a->name, RenderTemplate("device", m)));
  });
}

}  // namespace admin::detail
