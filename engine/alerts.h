// Telling the operator before a token dies: the banner, a daily log line
// per expiring account, and an optional alert_command fed JSON on stdin.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "recovery/lifecycle.h"
#include "recovery/token_health.h"

namespace engine {

recovery::HealthPolicy PolicyFor(const config::AccountConfig& a);

// One account's lifecycle as of `now` (state, deadline, days left, open
// outage, every outage), read from the store under the account's policy:
// what `deskmail accounts` and the console show.
recovery::AccountSnapshot SnapshotOf(store::ReadTxn& txn, const config::AccountConfig& a,
                                     std::int64_t now);

// One account's health as `deskmail accounts --json` and alert_command see it.
nlohmann::json AccountStatusJson(const config::AccountConfig& a, const recovery::AccountHealth& h,
                                 std::int64_t now);

// Logs the banner and the account's deadline, and runs cfg.alert_command
// (if set) with AccountStatusJson on stdin. Failures of the command are
// logged, never fatal.
void RaiseAlert(const config::Config& cfg, const config::AccountConfig& a,
                const recovery::AccountHealth& h, const recovery::HealthPolicy& policy,
                std::int64_t now);

}  // namespace engine
