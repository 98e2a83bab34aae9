#include "util/printable.h"

#include <catch2/catch.hpp>

#include "util/loopback.h"

TEST_CASE("Printable makes control characters and escape sequences visible") {
  CHECK(util::Printable("Invoice \x1b[2J\x1b]0;pwned\x07 due") ==
        "Invoice \\x1b[2J\\x1b]0;pwned\\x07 due");
  CHECK(util::Printable("a\r\nFrom: ceo@acme.example") == "a\\r\\nFrom: ceo@acme.example");
  CHECK(util::Printable("tab\there\x7f") == "tab\\there\\x7f");
  // C1 CSI (U+009B) and a bidi override.
  CHECK(util::Printable("x\xc2\x9b"
                        "2Jy") == "x\\u009b2Jy");
  CHECK(util::Printable("evil\xe2\x80\xaegnp.exe") == "evil\\u202egnp.exe");
  // Invalid UTF-8 is shown byte by byte; valid text is untouched.
  CHECK(util::Printable("caf\xe9") == "caf\\xe9");
  CHECK(util::Printable("Grüße, 日本語 😀") == "Grüße, 日本語 😀");
  // Bodies keep their lines.
  CHECK(util::Printable("one\r\ntwo\n\x1b[31m", true) == "one\ntwo\n\\x1b[31m");
}

TEST_CASE("RedactAuthText keeps the server's words but no secret") {
  const std::string token = "ya29.a0AfH6SMBx-secret-access-token";
  const std::string sasl =
      "dXNlcj1zdXBwb3J0QGFjbWUuZXhhbXBsZQFhdXRoPUJlYXJlciB5YTI5LmEwQWZINlNNQngBAQ==";
  auto r = util::RedactAuthText(
      "[AUTHENTICATIONFAILED] you said " + sasl + " and " + token + " and pw hunter2\x1b[2J",
      {token, "hunter2"});
  CHECK_THAT(r, Catch::StartsWith("[AUTHENTICATIONFAILED] you said [redacted] and [redacted]"));
  CHECK_THAT(r, !Catch::Contains(sasl.substr(0, 20)));
  CHECK_THAT(r, !Catch::Contains("hunter2"));
  CHECK_THAT(r, !Catch::Contains("\x1b"));
  CHECK(util::RedactAuthText("Session invalidated - AccessTokenExpired", {}) ==
        "Session invalidated - AccessTokenExpired");
  CHECK(util::RedactAuthText(std::string(500, 'a') + " x", {}, 50).size() < 60);
}

TEST_CASE("one loopback check: 127/8 and ::1 literals, names only if they resolve there") {
  CHECK(util::IsLoopbackHost("127.0.0.1"));
  CHECK(util::IsLoopbackHost("127.8.9.10"));
  CHECK(util::IsLoopbackHost("::1"));
  CHECK(util::IsLoopbackHost("[::1]"));
  CHECK(util::IsLoopbackHost("::ffff:127.0.0.1"));
  CHECK_FALSE(util::IsLoopbackHost("128.0.0.1"));
  CHECK_FALSE(util::IsLoopbackHost("10.0.0.1"));
  CHECK_FALSE(util::IsLoopbackHost("::2"));
  CHECK_FALSE(util::IsLoopbackHost("127.0.0.1.nip.io.invalid"));
  CHECK_FALSE(util::IsLoopbackHost(""));
  CHECK(util::IsLoopbackHost("localhost") == true);  // /etc/hosts here says 127.0.0.1 / ::1
}
