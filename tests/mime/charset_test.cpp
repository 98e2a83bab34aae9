#include "mime/charset.h"

#include <catch2/catch.hpp>

#include <string>

namespace {

struct Case {
  const char* charset;
  std::string bytes;
  std::string utf8;
};

}  // namespace

TEST_CASE("ToUtf8 converts each supported charset exactly", "[charset]") {
  const Case cases[] = {
      {"UTF-8", "caf\xc3\xa9 \xe2\x82\xac", "café €"},
      {"us-ascii", "plain ascii", "plain ascii"},
      {"ISO-8859-1", "caf\xe9 na\xefve", "café naïve"},
      {"iso-8859-2", "\xb1\xe6\xea\xb3\xf1", "ąćęłń"},
      {"ISO-8859-15", "\xa4 5", "€ 5"},
      {"windows-1252", "\x93quoted\x94 \x80", "“quoted” €"},
      {"KOI8-R", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"},
      {"Shift_JIS", "\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd", "こんにちは"},
      {"ISO-2022-JP", "\x1b$B$3$s$K$A$O\x1b(B", "こんにちは"},
      {"GB2312", "\xc4\xe3\xba\xc3", "你好"},
      {"GBK", "\xc4\xe3\xba\xc3\x81\x40", "你好丂"},
      {"Big5", "\xa7\x41\xa6\x6e", "你好"},
      {"euc-kr", "\xbe\xc8\xb3\xe7", "안녕"},
  };
  for (const Case& c : cases) {
    INFO(c.charset);
    std::string problem;
    CHECK(mime::ToUtf8(c.bytes, c.charset, &problem) == c.utf8);
    CHECK(problem.empty());
  }
}

TEST_CASE("ToUtf8 reads Shift_JIS as Windows-31J, keeping backslash and tilde", "[charset]") {
  // Strict JIS X 0201 would turn these into YEN SIGN and OVERLINE.
  CHECK(mime::ToUtf8("C:\\dir ~x", "shift_jis") == "C:\\dir ~x");
}

TEST_CASE("ToUtf8 never loses text on bad labels or bad bytes", "[charset]") {
  struct Damage {
    const char* charset;
    std::string bytes;
    std::string utf8;
    const char* problem_part;
  };
  const Damage cases[] = {
      {"x-bogus-charset", "caf\xc3\xa9", "café", "unknown charset"},
      {"x-bogus-charset", "caf\xe9", "café", "unknown charset"},
      {"utf-8", "caf\xe9", "café", "windows-1252"},
      {"", "na\xefve", "naïve", "unlabelled"},
      {"us-ascii", "caf\xc3\xa9 \xff ok", "café \xEF\xBF\xBD ok", "invalid UTF-8"},
      {"shift_jis", "\x82\xb1\xff", "こ\xEF\xBF\xBD", "invalid bytes"},
      {"iso-8859-2",
       "\xc5\x82\xc3\xb3"
       "d\xc5\xba",
       "łódź", "is UTF-8"},
      {"utf-8", std::string("a\0b", 3), "ab", "NUL"},
  };
  for (const Damage& c : cases) {
    INFO(c.charset << " / " << c.bytes);
    std::string problem;
    const std::string out = mime::ToUtf8(c.bytes, c.charset, &problem);
    CHECK(out == c.utf8);
    CHECK(mime::IsValidUtf8(out));
    CHECK_THAT(problem, Catch::Matchers::Contains(c.problem_part));
  }
}

TEST_CASE("ToUtf8 labels are case- and quote-insensitive", "[charset]") {
  CHECK(mime::ToUtf8("\xf0\xd2\xc9\xd7\xc5\xd4", "\"koi8-r\"") == "Привет");
  CHECK(mime::ToUtf8("\xe9", " ISO-8859-1 ") == "é");
}
