#include "engine/views.h"

#include <catch2/catch.hpp>

TEST_CASE("display width counts East Asian wide characters twice") {
  CHECK(engine::DisplayWidth("abc") == 3);
  CHECK(engine::DisplayWidth("日本語") == 6);
  CHECK(engine::DisplayWidth("é") == 1);
  CHECK(engine::DisplayWidth("") == 0);
}

TEST_CASE("columns are cut on character boundaries with an ellipsis") {
  CHECK(engine::FitColumn("abc", 5) == "abc  ");
  CHECK(engine::FitColumn("abcdef", 4) == "abc…");
  CHECK(engine::FitColumn("日本語テキスト", 7) == "日本語…");
  CHECK(engine::DisplayWidth(engine::FitColumn("日本語テキスト", 6)) == 6);
  CHECK(engine::FitColumn("a\tb", 3) == "a b");
}

TEST_CASE("a table aligns columns") {
  std::string t = engine::RenderTable({"ID", "SUBJECT"}, {{"#1", "short"}, {"#100", "longer one"}});
  CHECK(t == "ID    SUBJECT\n#1    short\n#100  longer one\n");
}
