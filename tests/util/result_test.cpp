#include "util/result.h"

#include <catch2/catch.hpp>

TEST_CASE("Result holds a value or a status") {
  util::Result<int> good(42);
  REQUIRE(good.ok());
  CHECK(*good == 42);

  util::Result<int> bad(util::Error(util::Code::kNotFound, "no such ticket 7"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == util::Code::kNotFound);
  CHECK(bad.status().ToString() == "not found: no such ticket 7");
}

TEST_CASE("Status default is ok") {
  util::Status s;
  CHECK(s.ok());
  CHECK(s.ToString() == "ok");
}
