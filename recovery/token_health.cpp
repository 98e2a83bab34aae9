#include "recovery/token_health.h"

#include <nlohmann/json.hpp>

namespace recovery {

namespace {
constexpr std::int64_t kDay = 86400;

// Floor division, so times before the deadline round the right way.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
}  // namespace

const char* TokenStateName(TokenState s) {
  switch (s) {
    case TokenState::kActive:
      return "active";
    case TokenState::kExpiring:
      return "expiring";
    case TokenState::kExpired:
      return "expired";
    case TokenState::kRecovering:
      return "recovering";
  }
  return "?";
}

std::optional<std::int64_t> ReauthDeadline(const AccountHealth& h, const HealthPolicy& p) {
  if (!p.uses_oauth || h.last_interactive_auth == 0) return std::nullopt;
  std::int64_t from = h.last_interactive_auth;
  if (p.rolling) from = std::max(from, h.last_rotation);
  return from + std::int64_t{p.lifetime_days} * kDay;
}

std::optional<std::int64_t> DaysLeft(const AccountHealth& h, const HealthPolicy& p,
                                     std::int64_t now) {
  auto d = ReauthDeadline(h, p);
  if (!d) return std::nullopt;
  return FloorDiv(*d - now, kDay);
}

bool ClientSecretExpiring(const HealthPolicy& p, std::int64_t now) {
  return p.client_secret_expires_at && *p.client_secret_expires_at - now <= p.alert_days * kDay;
}

TokenState StateAt(const AccountHealth& h, const HealthPolicy& p, std::int64_t now) {
  if (h.open_outage != 0) return TokenState::kExpired;
  if (h.recovering) return TokenState::kRecovering;
  auto deadline = ReauthDeadline(h, p);
  if (deadline && now >= *deadline) return TokenState::kExpired;
  if ((deadline && *deadline - now <= std::int64_t{p.alert_days} * kDay) ||
      ClientSecretExpiring(p, now)) {
    return TokenState::kExpiring;
  }
  return TokenState::kActive;
}

std::string AlertBanner(int alert_days) {
  return "Alert: Some of your support email IMAP refresh tokens will expire within " +
         std::to_string(alert_days) +
         " days. Re-authenticate them here to avoid service interruption.";
}

AccountHealth LoadHealth(store::ReadTxn& txn, const std::string& account) {
  AccountHealth h;
  auto raw = txn.GetAccount(account);
  if (!raw) return h;
  auto j = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return h;
  h.last_interactive_auth = j.value("interactive", std::int64_t{0});
  h.last_rotation = j.value("rotation", std::int64_t{0});
  h.last_sync = j.value("sync", std::int64_t{0});
  h.last_refresh_attempt = j.value("attempt", std::int64_t{0});
  h.last_alert_day = j.value("alert_day", std::int64_t{-1});
  h.open_outage = j.value("outage", std::uint64_t{0});
  h.recovering = j.value("recovering", false);
  h.recovering_outage = j.value("recovering_outage", std::uint64_t{0});
  h.last_error = j.value("error", std::string());
  return h;
}

util::Status SaveHealth(store::WriteTxn& txn, const std::string& account, const AccountHealth& h) {
  nlohmann::json j = {{"v", 1},
                      {"interactive", h.last_interactive_auth},
                      {"rotation", h.last_rotation},
                      {"sync", h.last_sync},
                      {"attempt", h.last_refresh_attempt},
                      {"alert_day", h.last_alert_day},
                      {"outage", h.open_outage},
                      {"recovering", h.recovering},
                      {"recovering_outage", h.recovering_outage},
                      {"error", h.last_error}};
  return txn.PutAccount(account, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace recovery
