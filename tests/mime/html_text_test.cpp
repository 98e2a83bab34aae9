#include "mime/html_text.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mime/message.h"

using Catch::Matchers::Contains;

namespace {

struct Case {
  const char* name;
  const char* html;
  const char* text;
};

}  // namespace

TEST_CASE("HtmlToText table", "[html]") {
  mime::Init();
  const Case cases[] = {
      {"paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo"},
      {"br and div", "a<br>b<div>c</div>d", "a\nb\nc\nd"},
      {"double br is one blank line", "a<br><br><br><br>b", "a\n\nb"},
      {"whitespace collapses", "<p>  lots \n\t of   space  </p>", "lots of space"},
      {"entities", "<p>Fish &amp; Chips &lt;3 &eacute;t&#233; &#x263A; a&nbsp;b</p>",
       "Fish & Chips <3 été ☺ a b"},
      {"inline elements keep spacing", "<b>bold</b> <i>it</i><span>x</span>", "bold itx"},
      {"link keeps its text", "see <a href=\"https://example.com/x\">the page</a>.",
       "see the page."},
      {"script and style dropped",
       "<html><head><title>T</title><style>p{color:red}</style></head>"
       "<body><script>alert('x')</script><p>Body</p></body></html>",
       "Body"},
      {"display none dropped", "<div style=\"DISPLAY: none\">preheader</div><p>Shown</p>", "Shown"},
      {"hidden attribute dropped", "<p hidden>secret</p><p>Shown</p>", "Shown"},
      {"mso-hide dropped", "<span style='mso-hide:all'>x</span>y", "y"},
      {"list items", "<ul><li>one</li><li>two</li></ul>", "- one\n- two"},
      {"table rows and cells", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
       "a b\nc"},
      {"headings", "<h1>Title</h1>text", "Title\n\ntext"},
      {"pre keeps whitespace", "<pre>a  b\n  c</pre>", "a  b\n  c"},
      {"comments dropped", "a<!-- hidden -->b", "ab"},
      {"unclosed tags recover", "<p>one<p>two<div>three", "one\n\ntwo\n\nthree"},
      {"meta charset ignored: input is UTF-8",
       "<html><head><meta charset=\"iso-8859-1\"></head><body>café</body></html>", "café"},
      {"empty", "", ""},
      {"only markup", "<div><span></span></div>", ""},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(mime::HtmlToText(c.html) == c.text);
  }
}

TEST_CASE("HtmlToLines keeps the line structure a forward header block needs", "[html]") {
  mime::Init();
  const char* html =
      "<div>Please see below</div><br>"
      "<div><b>From:</b> Jane Doe &lt;jane@example.com&gt;<br>"
      "<b>Sent:</b> Monday<br><b>Subject:</b> Help</div>"
      "<p>Original text</p>";
  const std::vector<std::string> expected = {"Please see below",
                                             "",
                                             "From: Jane Doe <jane@example.com>",
                                             "Sent: Monday",
                                             "Subject: Help",
                                             "",
                                             "Original text"};
  CHECK(mime::HtmlToLines(html) == expected);
}

TEST_CASE("HtmlToText can mark blockquotes as quoted", "[html]") {
  mime::Init();
  mime::HtmlTextOptions opts;
  opts.quote_blockquotes = true;
  CHECK(mime::HtmlToText("<p>reply</p><blockquote>old<br>text<blockquote>older</blockquote>"
                         "</blockquote>",
                         opts) == "reply\n\n> old\n> text\n\n> > older");
  CHECK(mime::HtmlToText("<blockquote>old</blockquote>") == "old");
}

TEST_CASE("HtmlToText honours max_bytes on a UTF-8 boundary", "[html]") {
  mime::Init();
  mime::HtmlTextOptions opts;
  opts.max_bytes = 5;
  const std::string out = mime::HtmlToText("<p>ééééé</p>", opts);
  CHECK(out == "éé");
}

TEST_CASE("HtmlToText survives hostile nesting and garbage", "[html]") {
  mime::Init();
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<div>";
  deep += "deep";
  CHECK_NOTHROW(mime::HtmlToText(deep));
  const std::string garbage("\x00\xff<\x01>&#xFFFFFFFF;<<<>>>", 20);
  CHECK_NOTHROW(mime::HtmlToText(garbage));
}
