// Inputs found by fuzz/ (scripts/fuzz.sh) that once crashed or misbehaved:
// each file in fixtures/mime-regressions/ must parse (or be refused) and
// unwrap without a crash or sanitizer report.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mime/forward.h"
#include "mime/message.h"

TEST_CASE("fuzz regressions parse and unwrap", "[regressions]") {
  const std::filesystem::path dir =
      std::filesystem::path(DESKMAIL_SOURCE_DIR) / "fixtures" / "mime-regressions";
  int n = 0;
  REQUIRE(std::filesystem::is_directory(dir));
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".eml") continue;
    INFO(e.path().filename().string());
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    auto m = mime::Parse(ss.str());
    if (m.ok()) (void)mime::UnwrapForward(m.value());
    ++n;
  }
  CHECK(n > 0);  // the directory holds the issue-13/14 shapes at least
}
