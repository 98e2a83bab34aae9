// Parse() on damaged and hostile input: never crash, report the damage.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "mime/charset.h"
#include "mime/message.h"

using Catch::Matchers::Contains;

namespace {

bool AnyErrorContains(const mime::Message& m, const std::string& part) {
  for (const std::string& e : m.parse_errors)
    if (e.find(part) != std::string::npos) return true;
  return false;
}

const std::string kMultipart =
    "From: \"Jane\" <jane@example.com>\r\n"
    "To: support@example.com\r\n"
    "Subject: =?utf-8?q?Caf=C3=A9?= order\r\n"
    "Date: Mon, 1 Jul 2024 10:00:00 +0200\r\n"
    "Message-ID: <split@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XYZ\r\n"
    "Content-Type: multipart/alternative; boundary=\"ALT\"\r\n"
    "\r\n"
    "--ALT\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Caf=E9 order, please.\r\n"
    "--ALT\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>Caf\xc3\xa9 order</p>\r\n"
    "--ALT--\r\n"
    "--XYZ\r\n"
    "Content-Type: application/pdf; name=\"a.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"a.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "SGVsbG8gYXR0YWNobWVudApsaW5lIHR3bwo=\r\n"
    "--XYZ\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: inner@example.com\r\nSubject: inner\r\n\r\ninner body\r\n"
    "--XYZ--\r\n";

}  // namespace

TEST_CASE("Empty input is rejected", "[malformed]") {
  auto r = mime::Parse("");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == util::Code::kInvalidArgument);
  CHECK(r.status().message() == "empty message");
}

TEST_CASE("Input without any header field is rejected", "[malformed]") {
  const std::string cases[] = {
      std::string("\x00\x01\x02\xff\xfe\x89PNG\r\n\x1a\n\x00\x00", 14),
      "\x7f\x45LF\x02\x01\x01 binary",
      "just some words without a colon\nmore\n",
      "\n\n",
      "\r\n",
  };
  for (const std::string& raw : cases) {
    INFO(raw);
    auto r = mime::Parse(raw);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == util::Code::kInvalidArgument);
  }
}

TEST_CASE("Missing From, Date and Message-ID are noted", "[malformed]") {
  auto r = mime::Parse("Subject: only a subject\n\nbody\n");
  REQUIRE(r.ok());
  CHECK(r->subject == "only a subject");
  CHECK(r->body_text == "body\n");
  CHECK(AnyErrorContains(*r, "missing From"));
  CHECK(AnyErrorContains(*r, "missing Date"));
  CHECK(AnyErrorContains(*r, "missing Message-ID"));
  CHECK_FALSE(r->date.has_value());
  CHECK(r->from.address.empty());
}

TEST_CASE("Unparseable Date is noted, not guessed", "[malformed]") {
  auto r = mime::Parse("From: a@example.com\nDate: yesterday-ish\nMessage-ID: <d@x>\n\nx\n");
  REQUIRE(r.ok());
  CHECK_FALSE(r->date.has_value());
  CHECK(AnyErrorContains(*r, "unparseable Date"));
}

TEST_CASE("Truncated multipart keeps what arrived", "[malformed]") {
  const std::string cut =
      kMultipart.substr(0, kMultipart.find("--XYZ\r\nContent-Type: application"));
  auto r = mime::Parse(cut.substr(0, cut.size() - 20));
  REQUIRE(r.ok());
  CHECK(r->body_text == "Café order, please.");
  CHECK(AnyErrorContains(*r, "truncated"));
}

TEST_CASE("Bad base64 is decoded as far as possible and noted", "[malformed]") {
  const std::string raw =
      "From: a@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\nMessage-ID: <b@x>\n"
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\nContent-Type: text/plain\n\nhi\n"
      "--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
      "SGVsb!!G8*gd29y\n--b\n"
      "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nSGVsbG8gd\n"
      "--b--\n";
  auto r = mime::Parse(raw);
  REQUIRE(r.ok());
  REQUIRE(r->attachments.size() == 2);
  CHECK(r->attachments[0].size > 0);
  CHECK(AnyErrorContains(*r, "invalid characters in base64"));
  CHECK(AnyErrorContains(*r, "truncated base64"));
}

TEST_CASE("NUL bytes and 8-bit garbage in headers and body do not crash", "[malformed]") {
  std::string raw = "From: a@example.com\nSubject: bad\xff\xfe\x00zero\nX-Bin: ";
  raw.append("\x00\x01\x02", 3);
  raw += "\nDate: Mon, 1 Jul 2024 10:00:00 +0000\nMessage-ID: <n@x>\n\nbody";
  raw.append("\x00 with nul\xff\n", 12);
  auto r = mime::Parse(raw);
  REQUIRE(r.ok());
  CHECK(mime::Parse(raw).ok());
  CHECK_THAT(r->body_text, Contains("with nul"));
  CHECK(r->body_text.find('\0') == std::string::npos);
  for (const auto& [name, value] : r->headers) CHECK(value.find('\0') == std::string::npos);
}

TEST_CASE("Multipart without boundary and bogus Content-Type survive", "[malformed]") {
  const std::string cases[] = {
      "From: a@example.com\nContent-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nhi\n",
      "From: a@example.com\nContent-Type: ;;;==\n\nbody\n",
      "From: a@example.com\nContent-Type: multipart/mixed; boundary=\"\"\n\n--\n\n--\n",
      "From: a@example.com\nContent-Transfer-Encoding: base64\n\n%%%%\n",
      "From: a@example.com\nContent-Type: message/rfc822\n\n",
      "From: a@example.com\nContent-Type: text/plain; charset=\"\n\nx\n",
  };
  for (const std::string& raw : cases) {
    INFO(raw);
    auto r = mime::Parse(raw);
    REQUIRE(r.ok());
    CHECK(r->from.address == "a@example.com");
  }
}

TEST_CASE("max_mime_depth and max_parts are enforced and noted", "[malformed][limits]") {
  std::string deep = "From: a@example.com\n";
  for (int i = 0; i < 50; ++i)
    deep += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" +
            std::to_string(i) + "\n";
  deep += "Content-Type: text/plain\n\ndeep body\n";
  mime::ParseOptions opts;
  opts.max_mime_depth = 10;
  auto r = mime::Parse(deep, opts);
  REQUIRE(r.ok());
  CHECK(AnyErrorContains(*r, "nesting"));
  CHECK(r->body_text == "deep body\n");  // parts below the limit are flattened, not dropped

  std::string many = "From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n";
  for (int i = 0; i < 30; ++i) many += "--b\nContent-Type: application/x-n\n\npart\n";
  many += "--b--\n";
  opts = {};
  opts.max_parts = 10;
  r = mime::Parse(many, opts);
  REQUIRE(r.ok());
  CHECK(r->attachments.size() == 10);  // containers do not count against the limit
  CHECK(AnyErrorContains(*r, "more than 10 MIME parts"));
}

TEST_CASE("body_text is capped at max_body_text_bytes on a UTF-8 boundary", "[malformed][limits]") {
  std::string body;
  for (int i = 0; i < 100; ++i) body += "é";
  mime::ParseOptions opts;
  opts.max_body_text_bytes = 11;
  auto r =
      mime::Parse("From: a@example.com\nContent-Type: text/plain; charset=utf-8\n\n" + body, opts);
  REQUIRE(r.ok());
  CHECK(r->body_text == "ééééé");
  CHECK(AnyErrorContains(*r, "truncated to 10 bytes"));  // 11 would split an é
}

// Dovecot's habit: feed every prefix of one message; no prefix may crash and
// each result must be coherent.
TEST_CASE("Every prefix of a multipart message parses sanely", "[malformed][split]") {
  const auto full = mime::Parse(kMultipart);
  REQUIRE(full.ok());
  CHECK(full->parse_errors.empty());
  CHECK(full->body_text == "Café order, please.");
  CHECK(full->attachments.size() == 2);
  CHECK(full->attached_messages.size() == 1);
  for (std::size_t n = 0; n <= kMultipart.size(); ++n) {
    INFO("prefix length " << n);
    auto r = mime::Parse(std::string_view(kMultipart).substr(0, n));
    if (!r.ok()) {
      CHECK(r.status().code() == util::Code::kInvalidArgument);
      continue;
    }
    // A cut inside a boundary line leaves "--AL" in the text: allow that much.
    CHECK(r->body_text.size() <= full->body_text.size() + 8);
    CHECK(mime::IsValidUtf8(r->body_text));
    if (n < kMultipart.rfind("--XYZ--")) CHECK_FALSE(r->parse_errors.empty());
    CHECK(r->attachments.size() <= full->attachments.size());
    CHECK(r->attached_messages.size() <= full->attached_messages.size());
    if (n > kMultipart.find("Subject:") + 40) CHECK(r->from.address == "jane@example.com");
    for (const auto& a : r->attachments) CHECK(a.sha256.size() == 64);
  }
}

TEST_CASE("Parse is safe from several threads at once", "[threads]") {
  mime::Init();
  const auto reference = mime::Parse(kMultipart);
  REQUIRE(reference.ok());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto r = mime::Parse(kMultipart);
        if (!r.ok() || r->body_text != reference->body_text || r->subject != reference->subject ||
            r->attachments.size() != reference->attachments.size() ||
            r->attachments[0].sha256 != reference->attachments[0].sha256)
          ++mismatches;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(mismatches == 0);
}
