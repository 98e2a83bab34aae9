// Regression tests for encoded-word decoding in Subject.
#include <catch2/catch.hpp>

#include "mime/message.h"

namespace {

std::string SubjectOf(const std::string& raw_subject) {
  auto m = mime::Parse("From: a@example.com\r\nSubject: " + raw_subject + "\r\n\r\nbody\r\n");
  REQUIRE(m.ok());
  return m->subject;
}

}  // namespace

TEST_CASE("gmime#133: a base64 word after a padded one of the same charset is kept") {
  // fixtures/support-inbox/cur/0046: the first word ends in "==", folded.
  CHECK(SubjectOf("=?UTF-8?B?UmU6IFsjMTFdIOODl+ODquODs+OCv+ODvOOBjOWNsOWItw==?=\r\n"
                  " =?UTF-8?B?44Gn44GN44G+44Gb44KT?=") == "Re: [#11] プリンターが印刷できません");
}

TEST_CASE("encoded words: joining, charsets, Q encoding, plain text around them") {
  struct Case {
    const char* raw;
    const char* want;
  };
  const Case cases[] = {
      {"=?ISO-8859-1?Q?Caf=E9_cr=E8me?=", "Café crème"},
      {"Re: =?utf-8?q?na=C3=AFve?= question", "Re: naïve question"},
      {"=?UTF-8?B?w6k=?=  =?UTF-8?B?w6k=?=", "éé"},  // space between words dropped
      {"=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=", "€"},    // one character split over two words
      {"=?KOI8-R?B?8NLJ18XU?= =?ISO-8859-1?Q?_caf=E9?=", "Привет café"},
      {"=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは"},
      {"=?UTF-8*en?Q?hello?=", "hello"},  // RFC 2231 language suffix
      {"not =?an encoded word", "not =?an encoded word"},
      {"=?UTF-8?X?bogus?=", "=?UTF-8?X?bogus?="},
  };
  for (const auto& c : cases) {
    INFO(c.raw);
    CHECK(SubjectOf(c.raw) == c.want);
  }
}
