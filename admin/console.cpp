#include "admin/console.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "admin/detail/app.h"
#include "admin/detail/assets.h"
#include "admin/model.h"
#include "admin/render.h"
#include "util/clock.h"

namespace admin {
namespace detail {

namespace {
constexpr char kCookie[] = "dm_session";

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string pair = header.substr(pos, end - pos);
    pair.erase(0, pair.find_first_not_of(' '));
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}
}  // namespace

SessionRef SessionOf(App& app, const httplib::Request& req, httplib::Response& res) {
  SessionRef r;
  r.id = CookieValue(req, kCookie);
  bool created = false;
  r.s = app.sessions.Get(r.id, app.clock.NowSeconds(), &created);
  if (created) {
    res.set_header("Set-Cookie", std::string(kCookie) + "=" + r.id +
                                     "; Path=/; HttpOnly; SameSite=Strict" +
                                     (app.tls ? "; Secure" : ""));
  }
  return r;
}

bool CsrfOk(const SessionRef& s, const httplib::Request& req) {
  return req.has_param("csrf") && ConstantTimeEquals(req.get_param_value("csrf"), s.s.csrf);
}

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string Page(App& app, const SessionRef& s, const std::string& title,
                 const std::string& body_html) {
  const std::int64_t now = app.clock.NowSeconds();
  nlohmann::json model = {{"title", title},
                          {"body", body_html},
                          {"csrf", s.s.csrf},
                          {"login", app.need_login && s.s.authenticated}};
  (void)app.st.Read([&](store::ReadTxn& txn) {
    nlohmann::json accounts = AccountsModel(app.cfg, txn, now)["accounts"];
    int alert_days = 0;
    nlohmann::json expired = nlohmann::json::array();
    for (std::size_t i = 0; i < accounts.size(); ++i) {
      const auto& a = accounts[i];
      if (a["state"] == "expiring") {
        int d = app.cfg.accounts[i].alert_days;
        alert_days = alert_days == 0 ? d : std::min(alert_days, d);
      }
      if (a["state"] == "expired") {
        std::string since = "its reauthentication deadline";
        for (const auto& o : a["outages"]) {
          if (o["end"].is_null()) since = o["start"].get<std::string>();
        }
        if (since == "its reauthentication deadline" && a["reauth_deadline"].is_string()) {
          since = a["reauth_deadline"].get<std::string>();
        }
        expired.push_back({{"name", a["name"]},
                           {"address", a["address"]},
                           {"url", "/emails/" + UrlEncode(a["name"].get<std::string>())},
                           {"since", since}});
      }
    }
    if (alert_days > 0) model["alert"] = {{"days", alert_days}};
    if (!expired.empty()) model["expired"] = expired;
    return util::Status{};
  });
  return RenderTemplate("layout", model);
}

void SendPage(httplib::Response& res, int status, std::string html) {
  res.status = status;
  res.set_content(std::move(html), "text/html; charset=utf-8");
}

void SendError(App& app, const SessionRef& s, httplib::Response& res, int status,
               const std::string& message) {
  SendPage(
      res, status,
      Page(app, s, "Error", RenderTemplate("error", {{"status", status}, {"message", message}})));
}

void SendJson(httplib::Response& res, const nlohmann::json& j, int status) {
  res.status = status;
  res.set_content(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  "application/json");
}

}  // namespace detail

namespace {

std::string ReadFileTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

bool IsPublicPath(const std::string& path) {
  return path == "/login" || path == "/style.css" || path == "/healthz" || path == "/readyz";
}

bool IsApiPath(const std::string& path) {
  return path.rfind("/api/", 0) == 0 || path == "/metrics";
}

class ConsoleImpl : public Console {
 public:
  explicit ConsoleImpl(std::unique_ptr<detail::App> app) : app_(std::move(app)) {}
  ~ConsoleImpl() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    std::vector<std::jthread> workers;
    {
      std::lock_guard lock(app_->mu);
      workers.swap(app_->workers);
    }
    workers.clear();  // request_stop + join, without the lock the workers take
  }
  int port() const override { return port_; }
  std::string base_url() const override { return base_url_; }

  util::Status Listen() {
    const config::Config& cfg = app_->cfg;
    if (!cfg.admin_tls_cert.empty()) {
      server_ = std::make_unique<httplib::SSLServer>(cfg.admin_tls_cert.c_str(),
                                                     cfg.admin_tls_key.c_str());
      app_->tls = true;
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    if (!server_->is_valid()) {
      return util::Error(util::Code::kInvalidArgument,
                         "admin: the TLS certificate or key does not load (" + cfg.admin_tls_cert +
                             ", " + cfg.admin_tls_key + ")");
    }
    detail::App& app = *app_;
    server_->set_pre_routing_handler([&app](const httplib::Request& req, httplib::Response& res) {
      return Gate(app, req, res);
    });
    server_->set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
      // No script runs anywhere in the console: the policy says so.
      res.set_header("Content-Security-Policy",
                     "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                     "form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("Referrer-Policy", "no-referrer");
      res.set_header("Cache-Control", "no-store");
    });
    // Reauth routes first: /emails/NAME/device must win over /emails/NAME
    // (names may hold any character, "/" included).
    detail::AddReauthRoutes(app, *server_);
    detail::AddPageRoutes(app, *server_);
    detail::AddApiRoutes(app, *server_);

    const int want = app.opts.port.value_or(cfg.admin_port);
    std::string host = cfg.admin_bind;
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    if (want == 0) {
      port_ = server_->bind_to_any_port(host);
      if (port_ <= 0) return BindError(host, want);
    } else {
      if (!server_->bind_to_port(host, want)) return BindError(host, want);
      port_ = want;
    }
    const std::string scheme = app.tls ? "https://" : "http://";
    const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    base_url_ = scheme + shown + ":" + std::to_string(port_);
    app.public_url = cfg.admin_public_url.empty() ? base_url_ : cfg.admin_public_url;
    while (!app.public_url.empty() && app.public_url.back() == '/') app.public_url.pop_back();
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    spdlog::info("admin console listening on {} (public URL {})", base_url_, app.public_url);
    return {};
  }

 private:
  static util::Status BindError(const std::string& host, int port) {
    return util::Error(util::Code::kIOError, "admin: cannot listen on " + host + ":" +
                                                 std::to_string(port) +
                                                 " (in use, or not an address of this host)");
  }

  // Who may see what: loopback needs nothing; otherwise pages need a
  // logged-in session and the API a bearer token or a logged-in session.
  static httplib::Server::HandlerResponse Gate(detail::App& app, const httplib::Request& req,
                                               httplib::Response& res) {
    using HR = httplib::Server::HandlerResponse;
    if (!app.need_login && app.api_token.empty()) return HR::Unhandled;
    if (IsPublicPath(req.path)) return HR::Unhandled;
    if (IsApiPath(req.path) && !app.api_token.empty()) {
      const std::string auth = req.get_header_value("Authorization");
      if (auth.rfind("Bearer ", 0) == 0 && ConstantTimeEquals(auth.substr(7), app.api_token)) {
        return HR::Unhandled;
      }
    }
    if (app.need_login) {
      // An unknown cookie gets a fresh (unauthenticated) session: the login page.
      detail::SessionRef s = detail::SessionOf(app, req, res);
      if (s.s.authenticated) return HR::Unhandled;
      if (IsApiPath(req.path)) {
        detail::SendJson(res, {{"error", "authentication required"}}, 401);
        return HR::Handled;
      }
      res.status = 303;
      res.set_header("Location", "/login");
      return HR::Handled;
    }
    if (IsApiPath(req.path)) {
      detail::SendJson(res, {{"error", "authentication required"}}, 401);
    } else {
      res.status = 403;
      res.set_content(
          "This console is bound off loopback with only an API token: pages need "
          "[admin] password_hash or password_file.\n",
          "text/plain");
    }
    return HR::Handled;
  }

  std::unique_ptr<detail::App> app_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::string base_url_;
};

}  // namespace

util::Status CheckAdminConfig(const config::Config& cfg) {
  if (!cfg.admin_password_hash.empty() && !PasswordHashParses(cfg.admin_password_hash)) {
    return util::Error(util::Code::kInvalidArgument,
                       "admin.password_hash: not a \"scrypt$N$r$p$SALT$HASH\" hash "
                       "(make one with `deskmail admin-hash`)");
  }
  if (!cfg.admin_password_file.empty() &&
      !PasswordHashParses(ReadFileTrimmed(cfg.admin_password_file))) {
    return util::Error(util::Code::kInvalidArgument,
                       "admin.password_file: " + cfg.admin_password_file +
                           " does not hold a \"scrypt$N$r$p$SALT$HASH\" hash");
  }
  if (cfg.admin_tls_cert.empty() != cfg.admin_tls_key.empty()) {
    return util::Error(util::Code::kInvalidArgument,
                       "admin: set both tls_cert and tls_key, or neither");
  }
  const bool has_password = !cfg.admin_password_hash.empty() || !cfg.admin_password_file.empty();
  bool has_token = false;
  if (!cfg.admin_api_token_env.empty()) {
    const char* v = std::getenv(cfg.admin_api_token_env.c_str());
    has_token = v != nullptr && std::string(v).size() >= 16;
    if (!has_token) {
      return util::Error(util::Code::kInvalidArgument,
                         "admin.api_token_env: $" + cfg.admin_api_token_env +
                             " is unset or shorter than 16 characters");
    }
  }
  if (!IsLoopbackBind(cfg.admin_bind) && !has_password && !has_token) {
    return util::Error(util::Code::kInvalidArgument,
                       "admin: bound to " + cfg.admin_bind +
                           ", off loopback, without a password: set [admin] password_hash or "
                           "password_file (or api_token_env), or bind = \"127.0.0.1\"");
  }
  return {};
}

util::Result<std::unique_ptr<Console>> Console::Start(const config::Config& cfg, store::Store& st,
                                                      std::shared_ptr<const store::SecretBox> box,
                                                      const util::Clock& clock,
                                                      ConsoleOptions opts) {
  if (auto s = CheckAdminConfig(cfg); !s.ok()) return s;
  auto app = std::make_unique<detail::App>(cfg, st, std::move(box), clock, std::move(opts));
  app->password_hash =
      !cfg.admin_password_hash.empty()
          ? cfg.admin_password_hash
          : (cfg.admin_password_file.empty() ? std::string()
                                             : ReadFileTrimmed(cfg.admin_password_file));
  app->need_login = !IsLoopbackBind(cfg.admin_bind) && !app->password_hash.empty();
  if (!cfg.admin_api_token_env.empty()) {
    if (const char* v = std::getenv(cfg.admin_api_token_env.c_str())) app->api_token = v;
  }
  auto impl = std::make_unique<ConsoleImpl>(std::move(app));
  if (auto s = impl->Listen(); !s.ok()) return s;
  return std::unique_ptr<Console>(std::move(impl));
}

}  // namespace admin
