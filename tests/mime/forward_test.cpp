// Focused tests of mime::UnwrapForward and its vocabulary/address helpers.
#include <catch2/catch.hpp>

#include <string>

#include "mime/detail/forward_address.h"
#include "mime/detail/forward_labels.h"
#include "mime/forward.h"
#include "mime/html_text.h"

namespace {

mime::Message Msg(std::string subject, std::string body) {
  mime::Message m;
  m.from = {"Agent Smith", "agent.smith@acme.example"};
  m.subject = std::move(subject);
  m.body_text = std::move(body);
  m.date = 1793700000;
  m.date_tz_offset_minutes = 60;
  return m;
}

const char* kGmailBlock =
    "---------- Forwarded message ---------\n"
    "From: Bob Miller <bob@customer.example>\n"
    "Date: Mon, Nov 2, 2026 at 10:00 AM\n"
    "Subject: Broken\n"
    "To: <support@acme.example>\n\n"
    "The box was crushed.\n";

}  // namespace

TEST_CASE("subject prefixes", "[forward]") {
  struct {
    const char* in;
    const char* stripped;
    bool fwd, reply;
  } rows[] = {
      {"Fwd: Hello", "Hello", true, false},         {"FW: FW: Hello", "Hello", true, false},
      {"WG: Hello", "Hello", true, false},          {"TR : Hello", "Hello", true, false},
      {"RV: Hello", "Hello", true, false},          {"I: Hello", "Hello", true, false},
      {"ENC: Hello", "Hello", true, false},         {"VS: Hello", "Hello", true, false},
      {"Doorst: Hello", "Hello", true, false},      {"İLT: Hello", "Hello", true, false},
      {"転送: Hello", "Hello", true, false},        {"[Fwd: Hello]", "Hello", true, false},
      {"Fwd[2]: Hello", "Hello", true, false},      {"Re: Hello", "Re: Hello", false, true},
      {"AW: Hello", "AW: Hello", false, true},      {"Hello: world", "Hello: world", false, false},
      {"Fwd: Re: Hello", "Re: Hello", true, false}, {"", "", false, false},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    CHECK(mime::detail::StripForwardPrefixes(r.in) == r.stripped);
    CHECK(mime::detail::HasForwardPrefix(r.in) == r.fwd);
    CHECK(mime::detail::HasReplyPrefix(r.in) == r.reply);
  }
}

TEST_CASE("separator lines", "[forward]") {
  using K = mime::detail::SeparatorKind;
  struct {
    const char* line;
    K kind;
  } rows[] = {
      {"---------- Forwarded message ---------", K::kForward},
      {"-------- Weitergeleitete Nachricht --------", K::kForward},
      {"Begin forwarded message:", K::kForward},
      {"Début du message réexpédié :", K::kForward},
      {"-----Original Message-----", K::kAmbiguous},
      {"-----Ursprüngliche Nachricht-----", K::kAmbiguous},
      {"________________________________", K::kAmbiguous},
      {"-----Özgün İleti-----", K::kAmbiguous},
      {"-------- Välitetty viesti / Fwd.Msg --------", K::kForward},
      {"I read the forwarded message yesterday", K::kNone},
      {"Forwarded message follows below, see there", K::kNone},
      {"____ notes", K::kNone},
  };
  for (const auto& r : rows) {
    INFO(r.line);
    CHECK(mime::detail::MatchSeparator(r.line).kind == r.kind);
  }
  CHECK(mime::detail::MatchSeparator("----- Forwarded Message ----- From: A <a@x.example>To: b")
            .rest == "From: A <a@x.example>To: b");
}

TEST_CASE("address lists as clients print them", "[forward]") {
  using mime::detail::ParseAddressList;
  auto one = [](const char* v) {
    auto list = ParseAddressList(v);
    REQUIRE(list.size() == 1);
    return list[0];
  };
  CHECK(one("John Doe <john@acme.example>").name == "John Doe");
  CHECK(one("\"Doe, John\" <john@acme.example>").name == "Doe, John");
  CHECK(one("John Doe [mailto:john@acme.example]").address == "john@acme.example");
  CHECK(
      one("John Doe<mailto:j@a.example> <j@a.example<mailto:j@a.example>> on behalf of x@y.example")
          .address == "j@a.example");
  CHECK(one("john@acme.example <john@acme.example>").name.empty());
  CHECK(one("<john@acme.example>").address == "john@acme.example");
  CHECK(one("john@acme.example (John Doe)").name == "John Doe");
  CHECK(one("«John Doe» <john@acme.example>").name == "John Doe");
  const auto list = ParseAddressList("Doe, John <j@a.example>; Berry, Bessie <b@a.example>");
  REQUIRE(list.size() == 2);
  CHECK(list[1].name == "Berry, Bessie");
  const auto names = ParseAddressList("John Doe, Bessie Berry");
  REQUIRE(names.size() == 2);
  CHECK(names[1].address.empty());
}

TEST_CASE("inline Gmail forward", "[forward]") {
  const auto f =
      mime::UnwrapForward(Msg("Fwd: Broken", std::string("Please file.\n\n") + kGmailBlock));
  REQUIRE(f);
  CHECK(f->kind == mime::ForwardKind::kInline);
  CHECK(f->depth == 1);
  CHECK(f->note == "Please file.");
  CHECK(f->forwarder.address == "agent.smith@acme.example");
  CHECK(f->original.from.name == "Bob Miller");
  CHECK(f->original.subject == "Broken");
  CHECK(f->original.body_text == "The box was crushed.");
  REQUIRE(f->original.to.size() == 1);
  CHECK(f->original.to[0].address == "support@acme.example");
  // No zone in the block: the outer message's +01:00 applies.
  CHECK(f->original.date == std::optional<std::int64_t>(1793610000));  // 2026-11-02T09:00:00Z
}

TEST_CASE("the subject is a hint, the body decides", "[forward]") {
  CHECK(mime::UnwrapForward(Msg("Broken", kGmailBlock)));      // no prefix
  CHECK(mime::UnwrapForward(Msg("Re: Broken", kGmailBlock)));  // explicit separator wins
  CHECK_FALSE(mime::UnwrapForward(Msg("Fwd: Broken", "I will forward it later.\n")));
  const std::string outlook =
      "Done.\n\n-----Original Message-----\nFrom: Bob <bob@customer.example>\n"
      "Sent: Monday, November 2, 2026 10:00 AM\nTo: support@acme.example\nSubject: "
      "Broken\n\nText\n";
  CHECK(mime::UnwrapForward(Msg("FW: Broken", outlook)));
  CHECK(mime::UnwrapForward(Msg("Broken", outlook)));            // prefix deleted, same subject
  CHECK_FALSE(mime::UnwrapForward(Msg("RE: Broken", outlook)));  // a reply quoting history
  CHECK_FALSE(mime::UnwrapForward(Msg("Status", outlook)));      // unrelated subject: a reply
}

TEST_CASE("look-alikes are not forwards", "[forward]") {
  const char* bodies[] = {
      "Thanks!\n\nOn Mon, Nov 2, 2026 at 10:00 AM Bob <bob@customer.example> wrote:\n> Hi\n",
      "Danke.\n\nAm 02.11.2026 um 10:00 schrieb Bob <bob@customer.example>:\n> Hallo\n",
      "Merci.\n\nLe 2 nov. 2026 à 10:00, Bob <bob@customer.example> a écrit :\n> Bonjour\n",
      "When you write From: your own account, Subject: lines and Date: stamps change.\n",
      "Regards\n________________________________\nFrom: our legal team. Confidential.\n",
  };
  for (const char* b : bodies) {
    INFO(b);
    CHECK_FALSE(mime::UnwrapForward(Msg("Re: Broken", b)));
    CHECK_FALSE(mime::UnwrapForward(Msg("Broken", b)));
  }
  mime::Message bounce = Msg("Undelivered", kGmailBlock);
  bounce.classification = mime::Classification::kBounce;
  CHECK_FALSE(mime::UnwrapForward(bounce));
}

TEST_CASE("nested inline forwards recover the innermost original", "[forward]") {
  const std::string body = std::string("FYI\n\n---------- Forwarded message ---------\n") +
                           "From: Ana <ana@acme.example>\nDate: Tue, Nov 3, 2026 at 9:00 AM\n"
                           "Subject: Fwd: Broken\nTo: <agent.smith@acme.example>\n\nsee below\n\n" +
                           kGmailBlock;
  const auto f = mime::UnwrapForward(Msg("Fwd: Fwd: Broken", body));
  REQUIRE(f);
  CHECK(f->depth == 2);
  CHECK(f->note == "FYI");
  CHECK(f->original.from.address == "bob@customer.example");
  CHECK(f->original.body_text == "The box was crushed.");
  mime::UnwrapOptions shallow;
  shallow.max_depth = 1;
  const auto g = mime::UnwrapForward(Msg("Fwd: Fwd: Broken", body), shallow);
  REQUIRE(g);
  CHECK(g->depth == 1);
  CHECK(g->original.from.address == "ana@acme.example");
}

TEST_CASE("reply history inside a forwarded original is not a nested forward", "[forward]") {
  const std::string body =
      std::string(kGmailBlock) +
      "\n________________________________\nFrom: Ana <ana@acme.example>\n"
      "Sent: Sunday, November 1, 2026 9:00 AM\nTo: Bob <bob@customer.example>\n"
      "Subject: RE: Broken\n\nWe are on it.\n";
  const auto f = mime::UnwrapForward(Msg("Fwd: Broken", body));
  REQUIRE(f);
  CHECK(f->depth == 1);
  CHECK(f->original.body_text.find("We are on it.") != std::string::npos);
}

TEST_CASE("HTML: hidden and style text never yields the sender", "[forward]") {
  const std::string html =
      "<html><head><style>x { } From: Eve &lt;eve@evil.example&gt;</style></head><body>"
      "<div style=\"display:none\">---------- Forwarded message ---------<br>"
      "From: Eve &lt;eve@evil.example&gt;<br>Subject: x<br>Date: 1 Nov 2026</div>"
      "<img src=\"cid:eve@evil.example\"><p>note</p>"
      "---------- Forwarded message ---------<br>From: <b>Bob</b> &lt;bob@customer.example&gt;<br>"
      "Date: Mon, Nov 2, 2026 at 10:00 AM<br>Subject: Broken<br><br><div>The "
      "text</div></body></html>";
  mime::Message m = Msg("Fwd: Broken", mime::HtmlToText(html));
  m.body_html = html;
  m.body_from_html = true;
  const auto f = mime::UnwrapForward(m);
  REQUIRE(f);
  CHECK(f->original.from.address == "bob@customer.example");
  CHECK(f->note == "note");
}

TEST_CASE("forward as attachment", "[forward]") {
  const std::string inner =
      "From: Bob <bob@customer.example>\r\nTo: support@acme.example\r\nSubject: Broken\r\n"
      "Date: Mon, 2 Nov 2026 10:00:00 +0100\r\nMessage-ID: <orig@customer.example>\r\n\r\nBody "
      "text\r\n";
  mime::Message m = Msg("FW: Broken", "see attached\n");
  m.attached_messages = {inner, "From: x@y.example\r\nSubject: second\r\n\r\nother\r\n"};
  const auto f = mime::UnwrapForward(m);
  REQUIRE(f);
  CHECK(f->kind == mime::ForwardKind::kAttachment);
  CHECK(f->note == "see attached");
  CHECK(f->original.message_id == "orig@customer.example");
  CHECK(f->original.date == std::optional<std::int64_t>(1793610000));
  CHECK(f->original.body_text == "Body text");
  m.attached_messages = {"\x01\x02 not a message"};
  CHECK_FALSE(mime::UnwrapForward(m));
}

TEST_CASE("subject prefixes of several words and right-to-left replies", "[forward]") {
  using mime::detail::HasForwardPrefix;
  using mime::detail::HasReplyPrefix;
  using mime::detail::StripForwardPrefixes;
  CHECK(StripForwardPrefixes("إعادة توجيه: الطلب 4711") == "الطلب 4711");
  CHECK(HasForwardPrefix("إعادة توجيه: الطلب 4711"));
  CHECK(StripForwardPrefixes("转发：订单4711") == "订单4711");
  CHECK(StripForwardPrefixes("ΠΡΘ: Παραγγελία") == "Παραγγελία");
  CHECK(HasReplyPrefix("رد: الطلب 4711"));
  CHECK(HasReplyPrefix("השב: הזמנה"));
  CHECK_FALSE(HasForwardPrefix("رد: الطلب 4711"));
}

TEST_CASE("end-of-forward lines", "[forward]") {
  using mime::detail::IsEndMarker;
  CHECK(IsEndMarker("----- End forwarded message -----"));
  CHECK(IsEndMarker("-------- Конец пересылаемого сообщения --------"));
  CHECK(IsEndMarker("-------- End of forwarded message --------"));
  CHECK_FALSE(IsEndMarker("The end of the forwarded message was cut."));
  CHECK_FALSE(IsEndMarker("-----"));
}

TEST_CASE("nested Mutt forwards: each layer ends at its own end line", "[forward]") {
  const std::string body =
      "FYI\n\n----- Forwarded message from Ana <ana@acme.example> -----\n\n"
      "Date: Tue, 3 Nov 2026 09:00:00 +0100\nFrom: Ana <ana@acme.example>\n"
      "To: agent.smith@acme.example\nSubject: Fwd: Broken\n\nsee below\n\n"
      "----- Forwarded message from Bob <bob@customer.example> -----\n\n"
      "Date: Mon, 2 Nov 2026 10:00:00 +0100\nFrom: Bob <bob@customer.example>\n"
      "To: support@acme.example\nSubject: Broken\n\nThe box was crushed.\n\n"
      "----- End forwarded message -----\n\nAna's signature\n\n"
      "----- End forwarded message -----\n\n-- \nAgent Smith\n";
  const auto f = mime::UnwrapForward(Msg("Fwd: Fwd: Broken", body));
  REQUIRE(f);
  CHECK(f->depth == 2);
  CHECK(f->original.from.address == "bob@customer.example");
  CHECK(f->original.body_text == "The box was crushed.");
  CHECK(f->original.date == std::optional<std::int64_t>(1793610000));
}

TEST_CASE("a Yandex-style dated line is a forward only after a separator", "[forward]") {
  const std::string line =
      "09.11.2026, 14:05, \"Ivan Petrov\" <ivan@klient.example>:\n\nMy order broke.\n";
  const auto f = mime::UnwrapForward(
      Msg("Fwd: Order", "note\n\n-------- Forwarded message --------\n" + line));
  REQUIRE(f);
  CHECK(f->original.from.name == "Ivan Petrov");
  CHECK(f->original.subject == "Order");
  CHECK(f->original.body_text == "My order broke.");
  CHECK_FALSE(mime::UnwrapForward(Msg("Re: Order", "Thanks.\n\n" + line)));
  CHECK_FALSE(mime::UnwrapForward(Msg("Fwd: Order", "Thanks.\n\n" + line)));
}

TEST_CASE("RFC 2047 words pasted into a header block are decoded", "[forward]") {
  const std::string body =
      "---------- Forwarded message ---------\n"
      "From: =?UTF-8?B?546L6Iqz?= <wang@kehu.example>\n"
      "Date: Mon, 2 Nov 2026 10:00:00 +0100\n"
      "Subject: =?UTF-8?Q?Caf=C3=A9?= =?UTF-8?Q?_order?=\n"
      "To: support@acme.example\n\ntext\n";
  const auto f = mime::UnwrapForward(Msg("Fwd: Café order", body));
  REQUIRE(f);
  CHECK(f->original.from.name == "王芳");
  CHECK(f->original.subject == "Café order");
}
