// Inputs that once crashed or misbehaved, or that probe a limit (fuzz/
// findings land here too, see fixtures/mime-regressions/README.md): each
// file must parse or be refused with a reason, never crash; a parsed
// message's text fields are valid UTF-8 (mime/message.h promises it), and
// a file with an "X-Expect-Text: WORD" header must keep WORD in body_text.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mime/forward.h"
#include "mime/message.h"

namespace {

bool ValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += n;
  }
  return true;
}

// The value of "X-Expect-Text:" in the raw header block, empty when absent.
std::string ExpectedText(const std::string& raw) {
  const std::string name = "\nX-Expect-Text: ";
  const std::size_t header_end = raw.find("\r\n\r\n");
  const std::size_t at = raw.find(name);
  if (at == std::string::npos || (header_end != std::string::npos && at > header_end)) return {};
  const std::size_t start = at + name.size();
  return raw.substr(start, raw.find_first_of("\r\n", start) - start);
}

}  // namespace

TEST_CASE("regression inputs parse (or are refused) with a meaningful outcome", "[regressions]") {
  mime::Init();
  const std::filesystem::path dir =
      std::filesystem::path(DESKMAIL_SOURCE_DIR) / "fixtures" / "mime-regressions";
  REQUIRE(std::filesystem::is_directory(dir));
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename() == "README.md") continue;
    INFO(e.path().filename().string());
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string raw = ss.str();
    auto m = mime::Parse(raw);
    ++n;
    if (!m.ok()) {
      CHECK_FALSE(m.status().message().empty());  // refused, with a reason
      continue;
    }
    CHECK(ValidUtf8(m->subject));
    CHECK(ValidUtf8(m->body_text));
    CHECK(ValidUtf8(m->from.name));
    const std::string want = ExpectedText(raw);
    if (!want.empty()) CHECK_THAT(m->body_text, Catch::Contains(want));
    (void)mime::UnwrapForward(m.value());
  }
  CHECK(n >= 10);  // the folder holds its inputs: an empty one proves nothing
}
