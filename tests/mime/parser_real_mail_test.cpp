// Parse() on mail as people and their clients really send it (issue 13):
// text parts that carry a filename, invalid Content-Types, encoded names
// standing where the address should be, cut header blocks, doubled CRs,
// obsolete years; and the parser limits of issue 14.
#include <glib.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mime/message.h"
#include "util/sha256.h"

using Catch::Matchers::Contains;

namespace {

mime::Message MustParse(const std::string& raw, const mime::ParseOptions& opts = {}) {
  auto r = mime::Parse(raw, opts);
  INFO(raw.substr(0, 400));
  REQUIRE(r.ok());
  return std::move(r).value();
}

bool AnyErrorContains(const mime::Message& m, const std::string& part) {
  for (const std::string& e : m.parse_errors)
    if (e.find(part) != std::string::npos) return true;
  return false;
}

const std::string kHead =
    "From: Jane <jane@example.com>\nTo: support@example.com\nSubject: Printer\n"
    "Date: Mon, 1 Jul 2024 10:00:00 +0000\nMessage-ID: <real@example.com>\nMIME-Version: 1.0\n";

std::string Mixed(const std::vector<std::string>& parts) {
  std::string raw = kHead + "Content-Type: multipart/mixed; boundary=\"mix\"\n\n";
  for (const std::string& p : parts) raw += "--mix\n" + p;
  return raw + "--mix--\n";
}

}  // namespace

TEST_CASE("A text part with an inline filename is body, and stays downloadable",
          "[parse][body][inline-text]") {
  // Thunderbird attaches .txt files like this; Outlook for Mac sends the
  // whole body like this. RFC 2183: inline means show it.
  SECTION("the only part") {
    const mime::Message m =
        MustParse(Mixed({"Content-Type: text/plain; charset=utf-8; name=\"message.txt\"\n"
                         "Content-Disposition: inline; filename=\"message.txt\"\n\n"
                         "The printer on floor 3 is jammed.\n"}));
    CHECK(m.body_text == "The printer on floor 3 is jammed.");  // the last \n is the boundary's
    REQUIRE(m.attachments.size() == 1);
    CHECK(m.attachments[0].filename == "message.txt");
    CHECK(m.attachments[0].content_type == "text/plain");
    CHECK(m.attachments[0].inline_image);  // listed as shown inline
    CHECK(m.attachments[0].sha256 == util::Sha256Hex("The printer on floor 3 is jammed."));
  }
  SECTION("single-part message, name= only and no disposition") {
    const mime::Message m =
        MustParse(kHead +
                  "Content-Type: text/plain; charset=iso-8859-1; name=\"body.txt\"\n"
                  "Content-Transfer-Encoding: quoted-printable\n\nCaf=E9 machine broken.\n");
    CHECK(m.body_text == "Café machine broken.\n");
    REQUIRE(m.attachments.size() == 1);
    CHECK(m.attachments[0].filename == "body.txt");
  }
  SECTION("a later inline text part is shown after the body") {
    const mime::Message m =
        MustParse(Mixed({"Content-Type: text/plain\n\nSee the log below.\n",
                         "Content-Type: text/plain; name=log.txt\n"
                         "Content-Disposition: inline; filename=log.txt\n\nERROR 42 at boot\n",
                         "Content-Type: text/plain; name=\"more.txt\"\n\nsecond file\n"}));
    CHECK_THAT(m.body_text, Contains("See the log below."));
    CHECK_THAT(m.body_text, Contains("ERROR 42 at boot"));
    CHECK_THAT(m.body_text, Contains("second file"));
    CHECK(m.body_text.find("See the log") < m.body_text.find("ERROR 42"));
    REQUIRE(m.attachments.size() == 2);
    CHECK(m.attachments[0].filename == "log.txt");
    CHECK(m.attachments[1].filename == "more.txt");
  }
  SECTION("inline HTML with a filename is the HTML body") {
    const mime::Message m =
        MustParse(Mixed({"Content-Type: text/html; charset=utf-8\n"
                         "Content-Disposition: inline; filename=\"body.html\"\n\n"
                         "<p>Screen <b>flickers</b></p>\n"}));
    CHECK_THAT(m.body_html, Contains("flickers"));
    CHECK(m.body_text == "Screen flickers");
    CHECK(m.body_from_html);
  }
  SECTION("a named text part inside multipart/alternative") {
    const mime::Message m =
        MustParse(kHead +
                  "Content-Type: multipart/alternative; boundary=alt\n\n"
                  "--alt\nContent-Type: text/plain; name=\"ATT00001.txt\"\n\nplain words\n"
                  "--alt\nContent-Type: text/html; name=\"ATT00002.htm\"\n\n<p>html words</p>\n"
                  "--alt--\n");
    CHECK(m.body_text == "plain words");
    CHECK_THAT(m.body_html, Contains("html words"));
  }
  SECTION("Content-Disposition: attachment still means a file") {
    const mime::Message m =
        MustParse(Mixed({"Content-Type: text/plain\n\nbody\n",
                         "Content-Type: text/plain; name=a.txt\n"
                         "Content-Disposition: attachment; filename=a.txt\n\nfile text\n"}));
    CHECK(m.body_text == "body");
    REQUIRE(m.attachments.size() == 1);
    CHECK_FALSE(m.attachments[0].inline_image);
  }
}

TEST_CASE("An invalid Content-Type is text/plain (RFC 2045 section 5.2)", "[parse][body][ctype]") {
  const std::string bad[] = {"text",       "garbage", "text/",         "/plain",
                             "text plain", ";;;==",   "\"text/plain\""};
  for (const std::string& ct : bad) {
    INFO("Content-Type: " << ct);
    const mime::Message top = MustParse(kHead + "Content-Type: " + ct + "\n\nhello there\n");
    CHECK(top.body_text == "hello there\n");
    CHECK(top.attachments.empty());
    const mime::Message inner =
        MustParse(Mixed({"Content-Type: " + ct + "\n\nhello inside\n",
                         "Content-Type: application/pdf; name=a.pdf\n\npdf\n"}));
    CHECK(inner.body_text == "hello inside");
    REQUIRE(inner.attachments.size() == 1);
    CHECK(inner.attachments[0].content_type == "application/pdf");
  }
  // A readable type with damage after it stays that type.
  const mime::Message png =
      MustParse(Mixed({"Content-Type: text/plain\n\nbody\n",
                       "Content-Type: image/png\"; name=\"a.png\"\n\npng\n"}));
  CHECK(png.body_text == "body");
  REQUIRE(png.attachments.size() == 1);
  CHECK(png.attachments[0].content_type == "image/png");
  // Valid but unusual forms stay what they say.
  const mime::Message ok =
      MustParse(kHead + "Content-Type: Application/X-Thing (a comment)\n\nab\n");
  REQUIRE(ok.attachments.size() == 1);
  CHECK(ok.attachments[0].content_type == "application/x-thing");
  CHECK(ok.body_text.empty());
}

TEST_CASE("A From that is only an encoded display name has no address", "[parse][headers]") {
  const std::string froms[] = {"=?koi8-r?B?6dfBziDwxdTSz9c=?=", "  =?KOI8-R?b?6dfBziDwxdTSz9c=?=",
                               "=?koi8-r?Q?=E9=D7=C1=CE_=F0=C5=D4=D2=CF=D7?="};
  for (const std::string& from : froms) {
    INFO("From: " << from);
    const mime::Message m = MustParse("From: " + from +
                                      "\nSubject: x\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n"
                                      "Message-ID: <k@x>\n\nbody\n");
    CHECK(m.from.address.empty());
    CHECK(m.from.name == "Иван Петров");
    CHECK(AnyErrorContains(m, "From header has no address"));
  }
  // An encoded name with an address is the ordinary case and stays one.
  const mime::Message m = MustParse(
      "From: =?koi8-r?B?6dfBziDwxdTSz9c=?= <ivan@example.ru>\nTo: =?utf-8?q?Support?=\n\nx\n");
  CHECK(m.from.address == "ivan@example.ru");
  CHECK(m.from.name == "Иван Петров");
  REQUIRE(m.to.size() == 1);
  CHECK(m.to[0].address.empty());
  CHECK(m.to[0].name == "Support");
}

TEST_CASE("A header block cut without a final newline keeps its fields", "[parse][headers]") {
  for (const std::string nl : {"\n", "\r\n"}) {
    const mime::Message a = MustParse("From: a@example.com" + nl + "Subject: hi" + nl + "X-Trunc");
    CHECK(a.from.address == "a@example.com");
    CHECK(a.subject == "hi");
    CHECK(a.body_text.empty());
    const mime::Message b = MustParse("From: a@example.com" + nl + "Subject: cut in the mid");
    CHECK(b.from.address == "a@example.com");
    CHECK(b.subject == "cut in the mid");
    const mime::Message c = MustParse("From: a@example.com" + nl + "Subject: folded" + nl + " on");
    CHECK(c.subject == "folded on");
  }
}

TEST_CASE("Lines ending in CR CR LF keep headers and body", "[parse][body]") {
  const std::string single =
      "From: a@example.com\r\r\nSubject: doubled\r\r\nDate: Mon, 1 Jul 2024 10:00:00 +0000\r\r\n"
      "Content-Type: text/plain; charset=utf-8\r\r\n\r\r\nline one\r\r\nline two\r\r\n";
  const mime::Message m = MustParse(single);
  CHECK(m.from.address == "a@example.com");
  CHECK(m.subject == "doubled");
  REQUIRE(m.date.has_value());
  CHECK(m.body_text == "line one\nline two\n");

  const std::string multi =
      "From: a@example.com\r\r\nSubject: parts\r\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\r\n\r\r\n"
      "--b\r\r\nContent-Type: text/plain\r\r\n\r\r\nthe text\r\r\n"
      "--b\r\r\nContent-Type: application/octet-stream; name=x.bin\r\r\n"
      "Content-Transfer-Encoding: base64\r\r\n\r\r\nAAEC\r\r\n--b--\r\r\n";
  const mime::Message p = MustParse(multi);
  CHECK(p.body_text == "the text");
  REQUIRE(p.attachments.size() == 1);
  CHECK(p.attachments[0].size == 3);
}

TEST_CASE("Obsolete 2- and 3-digit years follow RFC 5322 section 4.3", "[parse][headers][date]") {
  struct Case {
    const char* date;
    std::int64_t want;
  };
  const Case cases[] = {
      {"2 Apr 101 10:00:00 +0000", 986205600},         // 3 digits: + 1900
      {"Fri, 21 Nov 97 09:55:06 GMT", 880106106},      // 2 digits >= 50: 19xx
      {"1 Jan 49 00:00:00 +0000", 2493072000},         // 2 digits < 50: 20xx
      {"1 Jan 50 00:00:00 +0000", -631152000},         //
      {"Mon, 1 Jan 000 00:00:00 +0000", -2208988800},  // 3 digits: 1900
      {"Mon, 01 Jul 24 10:00:00 +0000", 1719828000},
      {"Mon, 1 Jul 2024 10:00:00 +0000", 1719828000},  // 4 digits untouched
      {"Sun, 1 Jan 1950 00:00:00 +0000", -631152000},  // before 1970 too
  };
  for (const Case& c : cases) {
    INFO(c.date);
    const mime::Message m =
        MustParse(std::string("From: a@example.com\nDate: ") + c.date + "\n\nx\n");
    REQUIRE(m.date.has_value());
    CHECK(*m.date == c.want);
  }
}

TEST_CASE("Deep nesting keeps the text and flattens what lies below the limit", "[parse][limits]") {
  // Text at the very bottom of 1,000 nested multiparts: the first leaf.
  std::string deep = "From: a@example.com\nSubject: deep\n";
  for (int i = 0; i < 1000; ++i)
    deep += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" +
            std::to_string(i) + "\n";
  deep += "Content-Type: text/plain\n\ndeep body\n";
  const mime::Message m = MustParse(deep);
  CHECK_THAT(m.body_text, Contains("deep body"));
  CHECK(m.subject == "deep");
  CHECK(AnyErrorContains(m, "nesting"));

  // Text first, then 1,000 levels each holding one attachment.
  std::string wide =
      "From: a@example.com\nContent-Type: multipart/mixed; boundary=\"top\"\n\n"
      "--top\nContent-Type: text/plain\n\nfirst part text\n--top\n";
  for (int i = 0; i < 1000; ++i)
    wide += "Content-Type: multipart/mixed; boundary=\"n" + std::to_string(i) + "\"\n\n--n" +
            std::to_string(i) + "\nContent-Type: application/x-n\n\nleaf\n--n" + std::to_string(i) +
            "\n";
  const mime::Message w = MustParse(wide);
  CHECK_THAT(w.body_text, Contains("first part text"));
  CHECK_FALSE(w.attachments.empty());
}

TEST_CASE("max_parts counts leaf parts, not their containers", "[parse][limits]") {
  auto many = [](int n) {
    std::string raw =
        "From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: multipart/mixed; boundary=c\n\n";
    for (int i = 0; i < n; ++i) raw += "--c\nContent-Type: application/x-n\n\npart\n";
    return raw + "--c--\n--b--\n";
  };
  mime::ParseOptions opts;
  opts.max_parts = 50;
  const mime::Message exact = MustParse(many(50), opts);
  CHECK(exact.attachments.size() == 50);
  CHECK_FALSE(AnyErrorContains(exact, "MIME parts"));
  const mime::Message over = MustParse(many(51), opts);
  CHECK(over.attachments.size() == 50);
  CHECK(AnyErrorContains(over, "more than 50 MIME parts"));
  // The default limit, in full.
  const mime::Message full = MustParse(many(10000));
  CHECK(full.attachments.size() == 10000);
  CHECK_FALSE(AnyErrorContains(full, "MIME parts"));
}

TEST_CASE("A NUL in a header is replaced, not an end of the value", "[parse][headers][nul]") {
  auto with_nul = [](const std::string& id_tail) {
    std::string raw = "From: a@example.com\nSubject: before";
    raw += '\0';
    raw += "after\nMessage-ID: <abc";
    raw += '\0';
    raw += id_tail + "@example.com>\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n\nbody\n";
    return raw;
  };
  const mime::Message a = MustParse(with_nul("one"));
  const mime::Message b = MustParse(with_nul("two"));
  CHECK(a.subject ==
        "before\xEF\xBF\xBD"
        "after");  // U+FFFD
  CHECK(a.message_id == "abc\xEF\xBF\xBDone@example.com");
  CHECK(a.message_id != b.message_id);
  CHECK(a.body_text == "body\n");
  CHECK(a.date.has_value());
  for (const auto& [name, value] : a.headers) CHECK(value.find('\0') == std::string::npos);
}

TEST_CASE("Parse reads the caller's bytes in place: only the view, never changed",
          "[parse][memory]") {
  // The message is a view into a larger buffer (a mapped file, a batch):
  // nothing after the view may leak in, and the buffer stays as it was.
  const std::string message = Mixed({
      "Content-Type: text/plain; charset=utf-8\n\nThe printer jams.\n",
      "Content-Type: application/pdf; name=\"scan.pdf\"\nContent-Transfer-Encoding: base64\n\n"
      "JVBERi0xLjQK\n",
  });
  const std::string buffer = message + "TRAILING BYTES NOT PART OF THE MESSAGE\n--mix--\n";
  const std::string before = buffer;
  auto r = mime::Parse(std::string_view(buffer).substr(0, message.size()));
  REQUIRE(r.ok());
  CHECK(r->body_text == "The printer jams.");
  REQUIRE(r->attachments.size() == 1);
  CHECK(r->attachments[0].size == 9);  // "%PDF-1.4\n"
  CHECK(buffer == before);
  // The same bytes parsed from their own string give the same result.
  auto alone = mime::Parse(message);
  REQUIRE(alone.ok());
  CHECK(alone->attachments[0].sha256 == r->attachments[0].sha256);
}

TEST_CASE("A large unnamed octet-stream is sniffed from its first bytes", "[parse][memory]") {
  // A 1.5 MB .eml sent as unnamed application/octet-stream (base64) is
  // still found; 1.5 MB of other data is hashed, not kept.
  std::string eml =
      "From: Customer <c@example.net>\r\nSubject: Broken printer\r\n"
      "Date: Mon, 1 Jul 2024 09:00:00 +0000\r\n\r\n";
  while (eml.size() < (1500u << 10)) eml += "The printer on floor 3 jams on every page.\r\n";
  std::string other;
  for (std::size_t i = 0; other.size() < (1500u << 10); ++i)
    other += static_cast<char>((i * 2654435761u) >> 13);
  auto part = [](const std::string& data) {
    gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(data.data()), data.size());
    std::string body;
    for (std::string_view all(b64); !all.empty();
         all.remove_prefix(std::min<std::size_t>(76, all.size())))
      body.append(all.substr(0, 76)).append("\n");
    g_free(b64);
    return "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" + body;
  };
  const mime::Message with_eml = MustParse(Mixed({part(eml)}));
  REQUIRE(with_eml.attached_items.size() == 1);
  CHECK(with_eml.attached_items[0] == eml);
  const mime::Message with_data = MustParse(Mixed({part(other)}));
  CHECK(with_data.attached_items.empty());
  REQUIRE(with_data.attachments.size() == 1);
  CHECK(with_data.attachments[0].size == other.size());
  CHECK(with_data.attachments[0].sha256 == util::Sha256Hex(other));
}
