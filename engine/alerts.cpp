#include "engine/alerts.h"

#include <spdlog/spdlog.h>

#include "oauth/source.h"
#include "util/clock.h"
#include "util/subprocess.h"

namespace engine {

recovery::HealthPolicy PolicyFor(const config::AccountConfig& a) {
  recovery::HealthPolicy p;
  p.rolling = a.reauth_policy == config::ReauthPolicy::kRolling;
  p.lifetime_days = a.refresh_token_lifetime_days;
  p.alert_days = a.alert_days;
  p.uses_oauth = oauth::UsesOAuthRefresh(a);
  if (!a.client_secret_expires_at.empty()) {
    p.client_secret_expires_at = util::ParseRfc3339(a.client_secret_expires_at);
  }
  return p;
}

recovery::AccountSnapshot SnapshotOf(store::ReadTxn& txn, const config::AccountConfig& a,
                                     std::int64_t now) {
  return recovery::Snapshot(txn, a.name, PolicyFor(a), now);
}

nlohmann::json AccountStatusJson(const config::AccountConfig& a, const recovery::AccountHealth& h,
                                 std::int64_t now) {
  recovery::HealthPolicy p = PolicyFor(a);
  auto deadline = recovery::ReauthDeadline(h, p);
  auto days = recovery::DaysLeft(h, p, now);
  auto time_or_null = [](std::int64_t t) {
    return t == 0 ? nlohmann::json(nullptr) : nlohmann::json(util::FormatRfc3339(t));
  };
  nlohmann::json j = {
      {"name", a.name},
      {"address", a.address},
      {"state", recovery::TokenStateName(recovery::StateAt(h, p, now))},
      {"reauth_policy", std::string(config::Name(a.reauth_policy))},
      {"reauth_deadline", deadline ? time_or_null(*deadline) : nlohmann::json(nullptr)},
      {"days_left", days ? nlohmann::json(*days) : nlohmann::json(nullptr)},
      {"last_interactive_auth", time_or_null(h.last_interactive_auth)},
      {"last_rotation", time_or_null(h.last_rotation)},
      {"last_sync", time_or_null(h.last_sync)},
      {"last_error", h.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(h.last_error)},
      {"client_secret_expires_at", p.client_secret_expires_at
                                       ? time_or_null(*p.client_secret_expires_at)
                                       : nlohmann::json(nullptr)},
  };
  return j;
}

void RaiseAlert(const config::Config& cfg, const config::AccountConfig& a,
                const recovery::AccountHealth& h, const recovery::HealthPolicy& policy,
                std::int64_t now) {
  auto deadline = recovery::ReauthDeadline(h, policy);
  spdlog::warn("{}", recovery::AlertBanner(a.alert_days));
  if (deadline) {
    spdlog::warn(
        "account {}: refresh token must be renewed by {} ({} days left): run `deskmail reauth {}`",
        a.name, util::FormatRfc3339(*deadline), recovery::DaysLeft(h, policy, now).value_or(0),
        a.name);
  }
  if (recovery::ClientSecretExpiring(policy, now)) {
    spdlog::warn("account {}: the app registration's client secret expires {}", a.name,
                 util::FormatRfc3339(*policy.client_secret_expires_at));
  }
  if (cfg.alert_command.empty()) return;
  nlohmann::json j = AccountStatusJson(a, h, now);
  j["alert"] = recovery::AlertBanner(a.alert_days);
  std::string payload = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  util::ShellOptions opts;
  opts.pass_env = cfg.alert_command_env;
  auto r = util::RunShell(cfg.alert_command, payload, /*capture=*/false, opts);
  if (!r.ok()) {
    spdlog::error("alert_command: {}", r.status().message());
  } else if (r->timed_out) {
    spdlog::error("alert_command did not finish within {} s: killed",
                  std::chrono::duration_cast<std::chrono::seconds>(opts.timeout).count());
  } else if (r->exit_status != 0) {
    spdlog::error("alert_command exited with status {}", r->exit_status);
  }
}

}  // namespace engine
