#include "oauth/credentials.h"

#include <catch2/catch.hpp>

TEST_CASE("access_token_command: trimmed output, and failures never echo what was printed") {
  auto ok = oauth::RunCommandForSecret("printf '  tok.en  \\n'");
  REQUIRE(ok.ok());
  CHECK(*ok == "tok.en");
  auto bad = oauth::RunCommandForSecret("echo secret-part; exit 1");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == util::Code::kTransient);
  CHECK_THAT(bad.status().message(), !Catch::Contains("secret-part"));
  auto empty = oauth::RunCommandForSecret("true");
  CHECK_FALSE(empty.ok());
}
