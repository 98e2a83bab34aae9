// Parse() on well-formed mail: headers, charsets, bodies, attachments.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mime/message.h"
#include "util/sha256.h"

using Catch::Matchers::Contains;

namespace {

mime::Message MustParse(const std::string& raw) {
  auto r = mime::Parse(raw);
  INFO(raw);
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string TextMessage(const std::string& charset, const std::string& cte, const std::string& body,
                        const std::string& extra_headers = "") {
  return "From: a@example.com\r\nTo: b@example.com\r\nSubject: t\r\n"
         "Date: Mon, 1 Jul 2024 10:00:00 +0000\r\nMessage-ID: <t@example.com>\r\n" +
         extra_headers + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=" + charset +
         "\r\nContent-Transfer-Encoding: " + cte + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("Parse decodes the standard headers", "[parse][headers]") {
  const std::string raw =
      "Return-Path: <bounce@example.com>\n"
      "From: \"Doe, Jane\" <jane@example.com>\n"
      "To: Bob <bob@example.com>, carol@example.com\n"
      "Cc: Team: x@example.com, y@example.com;, z@example.com\n"
      "Reply-To: help@example.com\n"
      "Subject: Printer\n on fire\n"
      "Date: Tue, 1 Jul 2003 10:52:37 +0200\n"
      "Message-ID: <abc.123@example.com>\n"
      "In-Reply-To: <parent@example.com> (comment)\n"
      "References: <root@example.com>\n <parent@example.com>\n"
      "\n"
      "Body line\n";
  const mime::Message m = MustParse(raw);
  CHECK(m.from.name == "Doe, Jane");
  CHECK(m.from.address == "jane@example.com");
  REQUIRE(m.to.size() == 2);
  CHECK(m.to[0].name == "Bob");
  CHECK(m.to[0].address == "bob@example.com");
  CHECK(m.to[1].address == "carol@example.com");
  REQUIRE(m.cc.size() == 3);  // group flattened
  CHECK(m.cc[0].address == "x@example.com");
  CHECK(m.cc[2].address == "z@example.com");
  REQUIRE(m.reply_to.size() == 1);
  CHECK(m.reply_to[0].address == "help@example.com");
  CHECK(m.subject == "Printer on fire");
  REQUIRE(m.date.has_value());
  CHECK(*m.date == 1057049557);
  CHECK(m.date_tz_offset_minutes == 120);
  CHECK(m.message_id == "abc.123@example.com");
  CHECK(m.in_reply_to == "parent@example.com");
  CHECK(m.references == std::vector<std::string>{"root@example.com", "parent@example.com"});
  REQUIRE(m.return_path.has_value());
  CHECK(*m.return_path == "bounce@example.com");
  CHECK(m.body_text == "Body line\n");
  CHECK_FALSE(m.body_from_html);
  CHECK(m.parse_errors.empty());
  CHECK(m.classification == mime::Classification::kNormal);
  // Raw headers: in order, unfolded, undecoded, case-insensitive lookup.
  REQUIRE(m.Header("subject") != nullptr);
  CHECK(*m.Header("SUBJECT") == "Printer on fire");
  CHECK(*m.Header("references") == "<root@example.com> <parent@example.com>");
  CHECK(m.Header("X-Missing") == nullptr);
  REQUIRE(m.headers.size() == 10);
  CHECK(m.headers.front().first == "Return-Path");
  CHECK(m.headers.back().first == "References");
}

TEST_CASE("Return-Path absent vs <>", "[parse][headers]") {
  const mime::Message absent = MustParse(TextMessage("us-ascii", "7bit", "x\n"));
  CHECK_FALSE(absent.return_path.has_value());
  const mime::Message empty =
      MustParse(TextMessage("us-ascii", "7bit", "x\n", "Return-Path: <>\r\n"));
  REQUIRE(empty.return_path.has_value());
  CHECK(empty.return_path->empty());
}

TEST_CASE("Date zones and the Content-* headers land in Message::headers", "[parse][headers]") {
  const mime::Message m = MustParse(TextMessage("us-ascii", "7bit", "x\n", "X-Extra: 1\r\n"));
  CHECK(*m.date == 1719828000);
  CHECK(m.date_tz_offset_minutes == 0);
  REQUIRE(m.Header("Content-Type") != nullptr);
  CHECK(*m.Header("Content-Type") == "text/plain; charset=us-ascii");
  const mime::Message west = MustParse(
      "From: a@example.com\nDate: Mon, 1 Jul 2024 05:30:00 -0430\nMessage-ID: <w@x>\n\nx\n");
  CHECK(*west.date == 1719828000);
  CHECK(west.date_tz_offset_minutes == -270);
}

TEST_CASE("RFC 2047 encoded words in Subject and From", "[parse][rfc2047]") {
  struct Case {
    const char* header;
    const char* subject;
    const char* from_name;
  };
  const Case cases[] = {
      {"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\nFrom: =?utf-8?b?SsO8cmdlbg==?= "
       "<j@example.com>",
       "Grüße aus Köln", "Jürgen"},
      {"Subject: =?utf-8?B?R3LDvMOfZSBh?= =?utf-8?B?dXMgS8O2bG4=?=\nFrom: j@example.com",
       "Grüße aus Köln", ""},  // adjacent words join without the space between them
      {"Subject: =?iso-8859-1?q?caf=E9?= ok\nFrom: =?ISO-8859-1?Q?Andr=E9?= Pirard "
       "<a@example.com>",
       "café ok", "André Pirard"},
      {"Subject: =?koi8-r?b?8NLJ18XU?=\nFrom: a@example.com", "Привет", ""},
      {"Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\nFrom: a@example.com", "こんにちは",
       ""},
      {"Subject: =?Shift_JIS?B?grGC8YLJgr+CzQ==?=\nFrom: a@example.com", "こんにちは", ""},
      {"Subject: =?gb2312?b?xOO6ww==?=\nFrom: a@example.com", "你好", ""},
      {"Subject: =?big5?b?p0Gmbg==?=\nFrom: a@example.com", "你好", ""},
  };
  for (const Case& c : cases) {
    INFO(c.header);
    const mime::Message m =
        MustParse(std::string(c.header) + "\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n\nbody\n");
    CHECK(m.subject == c.subject);
    CHECK(m.from.name == c.from_name);
  }
}

TEST_CASE("8-bit raw headers are decoded with the body's charset", "[parse][charset]") {
  const std::string raw =
      "From: \xf0\xd2\xc9\xd7\xc5\xd4 <ivan@example.ru>\n"
      "Subject: \xf0\xd2\xc9\xd7\xc5\xd4\n"
      "Content-Type: text/plain; charset=koi8-r\n"
      "\n"
      "\xf0\xd2\xc9\xd7\xc5\xd4\n";
  const mime::Message m = MustParse(raw);
  CHECK(m.subject == "Привет");
  CHECK(m.from.name == "Привет");
  CHECK(m.from.address == "ivan@example.ru");
  CHECK(m.body_text == "Привет\n");
  CHECK(*m.Header("Subject") == "Привет");  // raw, but valid UTF-8
  const mime::Message latin = MustParse("From: a@example.com\nSubject: caf\xe9\n\nx\n");
  CHECK(latin.subject == "café");
  const mime::Message utf8 = MustParse("From: a@example.com\nSubject: caf\xc3\xa9\n\nx\n");
  CHECK(utf8.subject == "café");
}

TEST_CASE("Body text is converted from each charset", "[parse][charset]") {
  struct Case {
    const char* charset;
    const char* cte;
    std::string body;
    std::string text;
  };
  const Case cases[] = {
      {"utf-8", "8bit", "caf\xc3\xa9\n", "café\n"},
      {"us-ascii", "7bit", "plain\n", "plain\n"},
      {"iso-8859-1", "8bit", "caf\xe9\n", "café\n"},
      {"iso-8859-2", "8bit", "\xb1\xe6\xea\xb3\xf1\n", "ąćęłń\n"},
      {"iso-8859-15", "8bit", "\xa4\n", "€\n"},
      {"windows-1252", "8bit", "\x93hi\x94\n", "“hi”\n"},
      {"koi8-r", "8bit", "\xf0\xd2\xc9\xd7\xc5\xd4\n", "Привет\n"},
      {"Shift_JIS", "8bit", "\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd\n", "こんにちは\n"},
      {"iso-2022-jp", "7bit", "\x1b$B$3$s$K$A$O\x1b(B\n", "こんにちは\n"},
      {"gb2312", "8bit", "\xc4\xe3\xba\xc3\n", "你好\n"},
      {"gbk", "8bit", "\xc4\xe3\xba\xc3\x81\x40\n", "你好丂\n"},
      {"big5", "8bit", "\xa7\x41\xa6\x6e\n", "你好\n"},
      {"utf-8", "base64", "R3LDvMOfZSBhdXMgS8O2bG4=\n", "Grüße aus Köln"},
      {"iso-8859-1", "quoted-printable", "caf=E9 =\nsoft\n", "café soft\n"},
      {"utf-8", "8bit", "crlf\r\nlines\r\n", "crlf\nlines\n"},
  };
  for (const Case& c : cases) {
    INFO(c.charset << " " << c.cte);
    const mime::Message m = MustParse(TextMessage(c.charset, c.cte, c.body));
    CHECK(m.body_text == c.text);
    CHECK(m.parse_errors.empty());
  }
}

TEST_CASE("Unknown charset keeps the text and notes it", "[parse][charset]") {
  const mime::Message m = MustParse(TextMessage("x-made-up", "8bit", "caf\xc3\xa9\n"));
  CHECK(m.body_text == "café\n");
  REQUIRE(m.parse_errors.size() == 1);
  CHECK_THAT(m.parse_errors[0], Contains("unknown charset"));
}

TEST_CASE("multipart/alternative prefers text/plain and keeps the HTML", "[parse][body]") {
  const std::string raw =
      "From: a@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\nMessage-ID: <m@x>\n"
      "Content-Type: multipart/alternative; boundary=\"b1\"\n\n"
      "--b1\nContent-Type: text/html; charset=utf-8\n\n<p>HTML version</p>\n"
      "--b1\nContent-Type: text/plain; charset=utf-8\n\nPlain version\n"
      "--b1--\n";
  const mime::Message m = MustParse(raw);
  CHECK(m.body_text == "Plain version");
  CHECK(m.body_html == "<p>HTML version</p>");
  CHECK_FALSE(m.body_from_html);
  CHECK(m.attachments.empty());
  CHECK(m.parse_errors.empty());
}

TEST_CASE("HTML-only mail becomes readable text", "[parse][body]") {
  const std::string raw =
      "From: a@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\nMessage-ID: <m@x>\n"
      "Content-Type: text/html; charset=iso-8859-1\n\n"
      "<html><head><style>.x{}</style><script>var a=1;</script></head><body>"
      "<div style=\"display:none\">preheader junk</div>"
      "<p>Caf\xe9 &amp; cr&egrave;me</p><p>Second<br>line</p></body></html>\n";
  const mime::Message m = MustParse(raw);
  CHECK(m.body_from_html);
  CHECK(m.body_text == "Café & crème\n\nSecond\nline");
  CHECK_THAT(m.body_html, Contains("Café"));
  CHECK_THAT(m.body_text, !Contains("preheader"));
  CHECK_THAT(m.body_text, !Contains("var a"));
}

TEST_CASE("Attachments: filename, type, size, sha256, inline images", "[parse][attachments]") {
  const std::string content = "Hello attachment\nline two\n";
  const std::string png("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x02\xff", 20);
  const std::string raw =
      "From: a@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\nMessage-ID: <m@x>\n"
      "Content-Type: multipart/mixed; boundary=\"outer\"\n\n"
      "--outer\nContent-Type: multipart/related; boundary=\"rel\"\n\n"
      "--rel\nContent-Type: text/html; charset=utf-8\n\n<p>Logo: <img src=\"cid:logo@x\"></p>\n"
      "--rel\nContent-Type: image/png\nContent-ID: <logo@x>\nContent-Transfer-Encoding: base64\n\n"
      "iVBORw0KGgoAAAANSUhEUgABAv8=\n"
      "--rel--\n"
      "--outer\nContent-Type: text/plain; name=\"notes.txt\"\n"
      "Content-Disposition: attachment; filename=\"notes.txt\"\n"
      "Content-Transfer-Encoding: base64\n\n"
      "SGVsbG8gYXR0YWNobWVudApsaW5lIHR3bwo=\n"
      "--outer\nContent-Type: IMAGE/JPEG\nContent-Disposition: inline; filename=photo.jpg\n\n"
      "jpegbytes\n"
      "--outer\nContent-Type: application/pdf\n"
      "Content-Disposition: attachment;\n filename*0*=utf-8''R%C3%A9sum%C3%A9%20;\n"
      " filename*1=final.pdf\n\n"
      "pdf\n"
      "--outer\nContent-Type: application/octet-stream;\n"
      " name=\"=?utf-8?q?K=C3=B6ln.bin?=\"\n\nbin\n"
      "--outer--\n";
  const mime::Message m = MustParse(raw);
  CHECK(m.body_from_html);
  CHECK(m.body_text == "Logo:");
  REQUIRE(m.attachments.size() == 5);
  const mime::Attachment& logo = m.attachments[0];
  CHECK(logo.content_type == "image/png");
  CHECK(logo.content_id == "logo@x");
  CHECK(logo.size == png.size());
  CHECK(logo.sha256 == util::Sha256Hex(png));
  CHECK(logo.inline_image);  // referenced as cid: from the HTML
  const mime::Attachment& notes = m.attachments[1];
  CHECK(notes.filename == "notes.txt");
  CHECK(notes.content_type == "text/plain");
  CHECK(notes.size == content.size());
  CHECK(notes.sha256 == util::Sha256Hex(content));
  CHECK_FALSE(notes.inline_image);
  const mime::Attachment& photo = m.attachments[2];
  CHECK(photo.filename == "photo.jpg");
  CHECK(photo.content_type == "image/jpeg");
  CHECK(photo.inline_image);  // Content-Disposition: inline
  CHECK(photo.sha256 == util::Sha256Hex("jpegbytes"));
  CHECK(m.attachments[3].filename == "Résumé final.pdf");  // RFC 2231 charset + continuation
  CHECK(m.attachments[4].filename == "Köln.bin");          // RFC 2047 in a name= parameter
  CHECK(m.parse_errors.empty());
}

TEST_CASE("message/rfc822 parts are captured raw and listed", "[parse][attachments]") {
  const std::string inner =
      "From: original@example.com\nSubject: Original\nMessage-ID: <orig@x>\n\nOriginal body\n";
  const std::string raw =
      "From: fwd@example.com\nSubject: Fwd: Original\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n"
      "Message-ID: <f@x>\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
      "--b\nContent-Type: text/plain\n\nSee attached.\n"
      "--b\nContent-Type: message/rfc822\nContent-Disposition: attachment; "
      "filename=\"orig.eml\"\n\n" +
      inner + "--b--\n";
  const mime::Message m = MustParse(raw);
  CHECK(m.body_text == "See attached.");
  REQUIRE(m.attached_messages.size() == 1);
  CHECK_THAT(m.attached_messages[0], Contains("Subject: Original"));
  CHECK_THAT(m.attached_messages[0], Contains("Original body"));
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].content_type == "message/rfc822");
  CHECK(m.attachments[0].filename == "orig.eml");
  CHECK(m.attachments[0].size == m.attached_messages[0].size());
  CHECK(m.attachments[0].sha256 == util::Sha256Hex(m.attached_messages[0]));
  // The captured bytes parse again as the original message.
  const mime::Message again = MustParse(m.attached_messages[0]);
  CHECK(again.subject == "Original");
  CHECK(again.from.address == "original@example.com");
  CHECK(again.body_text == "Original body");  // the newline before a boundary belongs to it
}

TEST_CASE("Classification of whole messages", "[parse][classify]") {
  struct Case {
    const char* name;
    std::string raw;
    mime::Classification want;
    const char* reason;
  };
  const std::string base = "Date: Mon, 1 Jul 2024 10:00:00 +0000\nMessage-ID: <c@x>\n";
  const Case cases[] = {
      {"normal", "From: a@example.com\nSubject: Help\n" + base + "\nhi\n",
       mime::Classification::kNormal, ""},
      {"dsn",
       "From: postmaster-x@example.com\nSubject: Undelivered\n" + base +
           "Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n"
           "--r\nContent-Type: text/plain\n\nfailed\n--r\n"
           "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n--r--\n",
       mime::Classification::kBounce,
       "Content-Type: multipart/report; report-type=delivery-status"},
      {"return-path <>", "Return-Path: <>\nFrom: a@example.com\nSubject: x\n" + base + "\nx\n",
       mime::Classification::kBounce, "Return-Path: <>"},
      {"auto-reply",
       "From: a@example.com\nSubject: Re: x\nAuto-Submitted: auto-replied\n" + base + "\naway\n",
       mime::Classification::kAutoReply, "Auto-Submitted: auto-replied"},
      {"encoded out-of-office subject",
       "From: a@example.com\nSubject: =?utf-8?q?Automatische_Antwort:_x?=\n" + base + "\naway\n",
       mime::Classification::kAutoReply, "Subject: Automatische Antwort: x"},
      {"bulk",
       "From: news@example.com\nSubject: News\nList-Id: <news.example.com>\n" + base + "\nnews\n",
       mime::Classification::kBulk, "List-Id: <news.example.com>"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const mime::Message m = MustParse(c.raw);
    CHECK(m.classification == c.want);
    CHECK(m.classification_reason == c.reason);
  }
}

TEST_CASE("CRLF line ends become LF, and a lone CR inside a line stays", "[parse][body]") {
  // IMAP delivers CRLF; a CR that ends no line is part of the text.
  CHECK(MustParse(TextMessage("utf-8", "8bit", "one\r\ntwo\rstill two\r\nthree\r\n")).body_text ==
        "one\ntwo\rstill two\nthree\n");
  // Quoted-printable can put a CR at the very end of the decoded text.
  CHECK(MustParse(TextMessage("utf-8", "quoted-printable", "end=0D")).body_text == "end");
  CHECK(MustParse(TextMessage("utf-8", "8bit", "\r\n\r\nx\r\n")).body_text == "\n\nx\n");
}
