#include "recovery/token_health.h"

#include <catch2/catch.hpp>

namespace {
constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kT0 = 1800000000;  // 2027-01-15
}  // namespace

TEST_CASE("fixed policy: the deadline is 90 days after the interactive sign-in") {
  recovery::AccountHealth h;
  h.last_interactive_auth = kT0;
  h.last_rotation = kT0 + 50 * kDay;  // refreshing does not move a fixed deadline
  recovery::HealthPolicy p;
  REQUIRE(recovery::ReauthDeadline(h, p) == kT0 + 90 * kDay);

  struct Case {
    std::int64_t day;
    recovery::TokenState want;
    std::int64_t days_left;
  };
  const Case cases[] = {
      {0, recovery::TokenState::kActive, 90},    {79, recovery::TokenState::kActive, 11},
      {80, recovery::TokenState::kExpiring, 10}, {81, recovery::TokenState::kExpiring, 9},
      {89, recovery::TokenState::kExpiring, 1},  {90, recovery::TokenState::kExpired, 0},
      {91, recovery::TokenState::kExpired, -1},
  };
  for (const auto& c : cases) {
    INFO("day " << c.day);
    CHECK(recovery::StateAt(h, p, kT0 + c.day * kDay) == c.want);
    CHECK(recovery::DaysLeft(h, p, kT0 + c.day * kDay) == c.days_left);
  }
}

TEST_CASE("rolling policy: each rotation restarts the 90 days") {
  recovery::AccountHealth h;
  h.last_interactive_auth = kT0;
  h.last_rotation = kT0 + 50 * kDay;
  recovery::HealthPolicy p;
  p.rolling = true;
  CHECK(recovery::ReauthDeadline(h, p) == kT0 + 140 * kDay);
  CHECK(recovery::StateAt(h, p, kT0 + 100 * kDay) == recovery::TokenState::kActive);
}

TEST_CASE("alert_days and lifetime follow the configuration") {
  recovery::AccountHealth h;
  h.last_interactive_auth = kT0;
  recovery::HealthPolicy p;
  p.lifetime_days = 30;
  p.alert_days = 3;
  CHECK(recovery::StateAt(h, p, kT0 + 26 * kDay) == recovery::TokenState::kActive);
  CHECK(recovery::StateAt(h, p, kT0 + 27 * kDay) == recovery::TokenState::kExpiring);
  CHECK(recovery::AlertBanner(3) ==
        "Alert: Some of your support email IMAP refresh tokens will expire within 3 days. "
        "Re-authenticate them here to avoid service interruption.");
}

TEST_CASE("an open outage is expired and a reauthenticated account recovers") {
  recovery::AccountHealth h;
  h.last_interactive_auth = kT0;
  recovery::HealthPolicy p;
  h.open_outage = 4;
  CHECK(recovery::StateAt(h, p, kT0 + kDay) == recovery::TokenState::kExpired);
  h.open_outage = 0;
  h.recovering = true;
  CHECK(recovery::StateAt(h, p, kT0 + kDay) == recovery::TokenState::kRecovering);
}

TEST_CASE("never-authorized and password accounts have no deadline") {
  recovery::AccountHealth h;
  recovery::HealthPolicy p;
  CHECK_FALSE(recovery::ReauthDeadline(h, p).has_value());
  CHECK(recovery::StateAt(h, p, kT0) == recovery::TokenState::kActive);
  h.last_interactive_auth = kT0;
  p.uses_oauth = false;
  CHECK_FALSE(recovery::DaysLeft(h, p, kT0).has_value());
}

TEST_CASE("an expiring client secret makes the account expiring") {
  recovery::AccountHealth h;
  h.last_interactive_auth = kT0;
  recovery::HealthPolicy p;
  p.client_secret_expires_at = kT0 + 20 * kDay;
  CHECK(recovery::StateAt(h, p, kT0 + 9 * kDay) == recovery::TokenState::kActive);
  CHECK(recovery::StateAt(h, p, kT0 + 10 * kDay) == recovery::TokenState::kExpiring);
  CHECK(recovery::ClientSecretExpiring(p, kT0 + 10 * kDay));
}
