// Internal to admin/: what every route handler shares.
#pragma once

#include <httplib.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "admin/console.h"
#include "admin/security.h"

namespace admin::detail {

// A Reauthenticate in flight: what the `state` parameter stands for.
struct PendingAuth {
  std::string account;
  std::string session_id;
  std::string verifier;  // PKCE code_verifier: never leaves this process but to the token endpoint
  std::int64_t expires_at = 0;
};

// "Reauthenticate all that need it": the walk of one admin session.
struct Walk {
  std::vector<std::string> todo;  // still to do, in order
  nlohmann::json results = nlohmann::json::array();
};

struct DeviceFlowState {
  std::string user_code, verification_uri, status = "waiting", message;
  std::int64_t expires_at = 0;
};

struct App {
  const config::Config& cfg;
  store::Store& st;
  std::shared_ptr<const store::SecretBox> box;
  const util::Clock& clock;
  ConsoleOptions opts;

  std::string public_url;     // no trailing slash
  bool need_login = false;    // off loopback with a password
  std::string password_hash;  // from the config or password_file
  std::string api_token;      // from api_token_env; empty: no bearer access
  bool tls = false;

  SessionTable sessions;
  LoginLimiter limiter;

  std::mutex mu;
  std::map<std::string, PendingAuth> pending;           // state -> flow, GUARDED_BY(mu)
  std::map<std::string, Walk> walks;                    // session id -> walk, GUARDED_BY(mu)
  std::map<std::string, DeviceFlowState> device_flows;  // account -> flow, GUARDED_BY(mu)
  std::vector<std::jthread> workers;                    // device-flow pollers, GUARDED_BY(mu)

  App(const config::Config& c, store::Store& s, std::shared_ptr<const store::SecretBox> b,
      const util::Clock& k, ConsoleOptions o)
      : cfg(c), st(s), box(std::move(b)), clock(k), opts(std::move(o)) {}
};

// The request's session (a new one, with its cookie set on `res`, when the
// request carried none or an unknown one).
struct SessionRef {
  std::string id;
  Session s;
};
SessionRef SessionOf(App& app, const httplib::Request& req, httplib::Response& res);

// The form field "csrf" equals the session's token.
bool CsrfOk(const SessionRef& s, const httplib::Request& req);

// A whole page: layout (banners, navigation) around `body_html`.
std::string Page(App& app, const SessionRef& s, const std::string& title,
                 const std::string& body_html);
void SendPage(httplib::Response& res, int status, std::string html);
void SendError(App& app, const SessionRef& s, httplib::Response& res, int status,
               const std::string& message);
void SendJson(httplib::Response& res, const nlohmann::json& j, int status = 200);
std::string UrlEncode(const std::string& s);

void AddPageRoutes(App& app, httplib::Server& srv);
void AddApiRoutes(App& app, httplib::Server& srv);
void AddReauthRoutes(App& app, httplib::Server& srv);

// The Edit page's model, also /api/v1/accounts/NAME (with_svg false).
nlohmann::json EditModel(App& app, store::ReadTxn& txn, const config::AccountConfig& c,
                         std::int64_t now, bool with_svg);

// Prometheus text exposition of the store and the accounts (metrics.cpp).
std::string RenderMetrics(App& app);
// The outage timeline of one account as an SVG fragment (timeline.cpp).
std::string TimelineSvg(App& app, store::ReadTxn& txn, const std::string& account,
                        const nlohmann::json& outages, std::int64_t now);
nlohmann::json TimelineData(store::ReadTxn& txn, const std::string& account,
                            const nlohmann::json& outages, std::int64_t now);

}  // namespace admin::detail
