// Dates as mail clients print them in forwarded header blocks ("Montag, 2.
// November 2026 10:00", "2026年11月2日 10:00", "Wed, 3 Nov 2021 15:51:30
// +0100", "02/10/2023 4:52 PM EST"...). Table-driven (month names, zone
// abbreviations, AM/PM markers per language), pure, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mime {

// Unix seconds (UTC) of the date written in `text`, or nullopt when no day,
// month and year can be found. A missing time is midnight; a missing zone
// means `default_offset_minutes` (the outer message's zone, east of UTC).
// Numeric dates: a field > 12 decides the order; otherwise day/month/year,
// except month/day/year when the text carries an English AM/PM marker.
std::optional<std::int64_t> ParseForwardDate(std::string_view text, int default_offset_minutes);

// Days since 1970-01-01 of a proleptic Gregorian date (no validation).
std::int64_t DaysFromCivil(int year, int month, int day);

}  // namespace mime
