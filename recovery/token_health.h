// recovery::TokenHealth: when must an account's OAuth consent be renewed,
// and what state is it in. Microsoft refresh tokens die after 90 days
// (fixed policy: counted from the last interactive sign-in, which is what
// helpdesks enforce) or after 90 days without use (rolling policy). The
// state machine:  active -> expiring (deadline within alert_days) ->
// expired (deadline passed, or the IdP said invalid_grant: an outage is
// open) -> recovering (reauthenticated, backfill running) -> active.
//
// The per-account record lives in the store's `accounts` database, encoded
// as JSON by this file (store/ keeps it opaque).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/store.h"
#include "util/result.h"

namespace recovery {

enum class TokenState { kActive, kExpiring, kExpired, kRecovering };
const char* TokenStateName(TokenState s);  // "active", "expiring", "expired", "recovering"

struct HealthPolicy {
  bool rolling = false;  // reauth_policy = "rolling"
  int lifetime_days = 90;
  int alert_days = 10;
  std::optional<std::int64_t> client_secret_expires_at;  // the app registration's secret
  bool uses_oauth = true;  // false for password accounts: no deadline at all
};

struct AccountHealth {
  std::int64_t last_interactive_auth = 0;  // last `deskmail reauth` (device flow)
  std::int64_t last_rotation = 0;          // last successful refresh-token grant
  std::int64_t last_sync = 0;              // last pass that fetched without error
  std::int64_t last_refresh_attempt = 0;   // while expired: throttles retries
  std::int64_t last_alert_day = -1;        // day number (unix / 86400) of the last alert
  std::uint64_t open_outage = 0;           // outage id while fetching is stopped
  bool recovering = false;                 // reauthenticated, backfill not yet complete
  std::uint64_t recovering_outage = 0;     // while recovering: the outage being backfilled
  std::string last_error;                  // one line, never a secret
};

// The moment the refresh token stops working by policy; nullopt when the
// account has never been authenticated interactively (or uses a password).
std::optional<std::int64_t> ReauthDeadline(const AccountHealth& h, const HealthPolicy& p);
TokenState StateAt(const AccountHealth& h, const HealthPolicy& p, std::int64_t now);
// Whole days until the deadline (negative once passed); nullopt without one.
std::optional<std::int64_t> DaysLeft(const AccountHealth& h, const HealthPolicy& p,
                                     std::int64_t now);
// True when the client secret expires within alert_days (or has).
bool ClientSecretExpiring(const HealthPolicy& p, std::int64_t now);

// The operator banner; the number follows alert_days.
std::string AlertBanner(int alert_days);

// Loads (default when absent or undecodable) and stores the record.
AccountHealth LoadHealth(store::ReadTxn& txn, const std::string& account);
util::Status SaveHealth(store::WriteTxn& txn, const std::string& account, const AccountHealth& h);

}  // namespace recovery
