#include "util/clock.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace util {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<std::int64_t> ParseRfc3339(std::string_view text) {
  std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return std::nullopt;
  std::size_t pos = 10;
  std::int64_t offset = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8) {
      return std::nullopt;
    }
    pos += 9;
    if (pos < s.size() && s[pos] == '.') {  // fractional seconds: ignored
      ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    }
    if (pos >= s.size()) return std::nullopt;
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0, om = 0;
      if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5) {
        return std::nullopt;
      }
      offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
      pos += 6;
    } else {
      return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
         mi * 60 + sec - offset;
}

std::string FormatRfc3339(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

SystemClock::SystemClock() {
  if (const char* v = std::getenv("DESKMAIL_NOW"); v != nullptr && *v != '\0') {
    override_ = ParseRfc3339(v);
    if (!override_) override_error_ = std::string("DESKMAIL_NOW=") + v + " is not RFC 3339";
  }
}

std::int64_t SystemClock::NowSeconds() const {
  if (override_) return *override_;
  return static_cast<std::int64_t>(std::time(nullptr));
}

}  // namespace util
