#include "cli/views.h"

#include <catch2/catch.hpp>

TEST_CASE("display width counts East Asian wide characters twice") {
  CHECK(cli::DisplayWidth("abc") == 3);
  CHECK(cli::DisplayWidth("日本語") == 6);
  CHECK(cli::DisplayWidth("é") == 1);
  CHECK(cli::DisplayWidth("") == 0);
}

TEST_CASE("columns are cut on character boundaries with an ellipsis") {
  CHECK(cli::FitColumn("abc", 5) == "abc  ");
  CHECK(cli::FitColumn("abcdef", 4) == "abc…");
  CHECK(cli::FitColumn("日本語テキスト", 7) == "日本語…");
  CHECK(cli::DisplayWidth(cli::FitColumn("日本語テキスト", 6)) == 6);
  CHECK(cli::FitColumn("a\tb", 3) == "a b");
}

TEST_CASE("a table aligns columns") {
  std::string t = cli::RenderTable({"ID", "SUBJECT"}, {{"#1", "short"}, {"#100", "longer one"}});
  CHECK(t == "ID    SUBJECT\n#1    short\n#100  longer one\n");
}
