// The one place that reads the time. Tests inject a FakeClock and move it by
// days; drills set DESKMAIL_NOW (RFC 3339) to see a future day.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace util {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t NowSeconds() const = 0;  // Unix seconds, UTC
};

// The system clock, or DESKMAIL_NOW when that variable is set.
class SystemClock : public Clock {
 public:
  // Reads DESKMAIL_NOW once; an unparseable value is reported by Override().
  SystemClock();
  std::int64_t NowSeconds() const override;
  // The DESKMAIL_NOW value in force, if any; error text when it did not parse.
  const std::optional<std::int64_t>& override_seconds() const { return override_; }
  const std::string& override_error() const { return override_error_; }

 private:
  std::optional<std::int64_t> override_;
  std::string override_error_;
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(std::int64_t now) : now_(now) {}
  std::int64_t NowSeconds() const override { return now_; }
  void Set(std::int64_t now) { now_ = now; }
  void AdvanceDays(int days) { now_ += std::int64_t{days} * 86400; }
  void AdvanceSeconds(std::int64_t s) { now_ += s; }

 private:
  std::int64_t now_;
};

// "2027-02-20T00:00:00Z", "2027-02-20T01:00:00+01:00", "2027-02-20" (midnight UTC).
std::optional<std::int64_t> ParseRfc3339(std::string_view text);
// Always UTC with a "Z": "2027-02-20T00:00:00Z".
std::string FormatRfc3339(std::int64_t unix_seconds);

}  // namespace util
