#include "util/clock.h"

#include <catch2/catch.hpp>

TEST_CASE("RFC 3339 parsing and formatting") {
  struct Case {
    const char* text;
    std::int64_t want;
  };
  const Case cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2027-02-20T00:00:00Z", 1803081600},
      {"2027-02-20", 1803081600},
      {"2027-02-20T01:00:00+01:00", 1803081600},
      {"2027-02-19T19:00:00-05:00", 1803081600},
      {"2024-02-29T12:34:56.789Z", 1709210096},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto got = util::ParseRfc3339(c.text);
    REQUIRE(got.has_value());
    CHECK(*got == c.want);
  }
  CHECK(util::FormatRfc3339(1803081600) == "2027-02-20T00:00:00Z");
  for (const char* bad : {"", "2027-02", "2027-13-01", "2027-02-20T00:00", "2027-02-20T00:00:00",
                          "2027-02-20T00:00:00Zjunk", "yesterday"}) {
    INFO(bad);
    CHECK_FALSE(util::ParseRfc3339(bad).has_value());
  }
}

TEST_CASE("FakeClock moves by days") {
  util::FakeClock c(1000);
  c.AdvanceDays(90);
  CHECK(c.NowSeconds() == 1000 + 90 * 86400);
}
