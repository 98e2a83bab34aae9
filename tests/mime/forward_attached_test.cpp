// Originals attached under another type than message/rfc822: an .eml sent as
// application/octet-stream or text/plain, an Outlook .msg.
#include <glib.h>
#include <catch2/catch.hpp>

#include <string>

#include "mime/detail/attached_item.h"
#include "mime/forward.h"
#include "mime/message.h"
#include "msg_builder.h"

namespace {

const char* kEml =
    "Return-Path: <jane.roe@customer.example>\r\n"
    "From: Jane Roe <jane.roe@customer.example>\r\n"
    "To: Acme Support <support@acme.example>\r\n"
    "Subject: Damaged order 4711\r\n"
    "Date: Mon, 9 Nov 2026 15:00:00 +0100\r\n"
    "Message-ID: <orig.4711@customer.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "My order 4711 arrived with a broken mug.\r\n";

std::string Base64(const std::string& data) {
  gchar* b = g_base64_encode(reinterpret_cast<const guchar*>(data.data()), data.size());
  std::string out = b;
  g_free(b);
  std::string wrapped;
  for (std::size_t i = 0; i < out.size(); i += 76) wrapped += out.substr(i, 76) + "\r\n";
  return wrapped;
}

// A forward from Outlook with one attachment part.
std::string Outer(const std::string& part_headers, const std::string& part_body) {
  return "From: Agent Smith <agent.smith@acme.example>\r\nTo: intake@acme.example\r\n"
         "Subject: FW: Damaged order 4711\r\nDate: Tue, 10 Nov 2026 09:00:00 +0100\r\n"
         "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
         "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease file the attached.\r\n"
         "--b1\r\n" +
         part_headers + "\r\n" + part_body + "\r\n--b1--\r\n";
}

std::optional<mime::Forwarded> Unwrap(const std::string& raw) {
  auto m = mime::Parse(raw);
  REQUIRE(m.ok());
  return mime::UnwrapForward(m.value());
}

}  // namespace

TEST_CASE("an .eml sent as application/octet-stream is the forwarded original",
          "[forward][attached]") {
  const auto f =
      Unwrap(Outer("Content-Type: application/octet-stream; name=\"Damaged order 4711.eml\"\r\n"
                   "Content-Transfer-Encoding: base64\r\n"
                   "Content-Disposition: attachment; filename=\"Damaged order 4711.eml\"\r\n",
                   Base64(kEml)));
  REQUIRE(f);
  CHECK(f->kind == mime::ForwardKind::kAttachment);
  CHECK(f->note == "Please file the attached.");
  CHECK(f->original.from.address == "jane.roe@customer.example");
  CHECK(f->original.subject == "Damaged order 4711");
  CHECK(f->original.date == std::optional<std::int64_t>(1794232800));
  CHECK(f->original.message_id == "orig.4711@customer.example");
  CHECK(f->original.body_text == "My order 4711 arrived with a broken mug.");
}

TEST_CASE("an unnamed text/plain attachment holding a message is sniffed", "[forward][attached]") {
  const auto f = Unwrap(Outer(
      "Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment\r\n", kEml));
  REQUIRE(f);
  CHECK(f->kind == mime::ForwardKind::kAttachment);
  CHECK(f->original.from.address == "jane.roe@customer.example");
}

TEST_CASE("an Outlook .msg attachment is the forwarded original", "[forward][attached]") {
  msgtest::MsgSpec s;
  s.subject = "Damaged order 4711";
  s.sender_name = "Jane Roe";
  s.sender_email = "jane.roe@customer.example";
  s.recipients = {{"Acme Support", "support@acme.example", 1}};
  s.submit_time = 1794232800;
  s.body = "My order 4711 arrived with a broken mug.";
  s.attachments = {{"photo.jpg", "image/jpeg", std::string(100, 'x')}};
  const std::string msg = msgtest::BuildMsg(s);
  for (const char* headers :
       {"Content-Type: application/vnd.ms-outlook; name=\"Damaged order 4711.msg\"\r\n",
        "Content-Type: application/octet-stream; name=\"Damaged order 4711.msg\"\r\n"}) {
    INFO(headers);
    const auto f = Unwrap(Outer(std::string(headers) +
                                    "Content-Transfer-Encoding: base64\r\n"
                                    "Content-Disposition: attachment; filename=\"x.msg\"\r\n",
                                Base64(msg)));
    REQUIRE(f);
    CHECK(f->kind == mime::ForwardKind::kAttachment);
    CHECK(f->original.from.name == "Jane Roe");
    CHECK(f->original.from.address == "jane.roe@customer.example");
    CHECK(f->original.subject == "Damaged order 4711");
    CHECK(f->original.date == std::optional<std::int64_t>(1794232800));
    CHECK(f->original.body_text == "My order 4711 arrived with a broken mug.");
    REQUIRE(f->original.attachments.size() == 1);
    CHECK(f->original.attachments[0].filename == "photo.jpg");
  }
}

TEST_CASE("attachments that hold no message are not originals", "[forward][attached]") {
  using mime::detail::ItemKind;
  using mime::detail::SniffAttachedItem;
  // Prose in a text attachment, a binary blob, a Word document (also OLE2).
  CHECK_FALSE(
      Unwrap(Outer("Content-Type: text/plain; name=\"notes.txt\"\r\n"
                   "Content-Disposition: attachment; filename=\"notes.txt\"\r\n",
                   "From: the warehouse we heard nothing.\r\nSubject: none\r\n")));
  CHECK(SniffAttachedItem("application/octet-stream", "", std::string(200, '\x01')) ==
        ItemKind::kNone);
  const std::string cfb = msgtest::BuildMsg(msgtest::MsgSpec{});
  CHECK(SniffAttachedItem("application/msword", "report.doc", cfb) == ItemKind::kNone);
  CHECK(SniffAttachedItem("application/vnd.ms-outlook", "", cfb) == ItemKind::kMsg);
  CHECK(SniffAttachedItem("application/octet-stream", "A.MSG", cfb) == ItemKind::kMsg);
  CHECK(SniffAttachedItem("application/octet-stream", "mail.eml", kEml) == ItemKind::kEml);
  CHECK(SniffAttachedItem("application/pdf", "", kEml) == ItemKind::kNone);
  CHECK(SniffAttachedItem("text/plain", "", "Subject: hi\r\nX-A: b\r\n\r\nbody") ==
        ItemKind::kNone);
  CHECK(SniffAttachedItem("text/plain", "x.eml", "not a header at all\r\n\r\nbody") ==
        ItemKind::kNone);
  // An Outlook item that does not parse leaves the mail a plain mail.
  CHECK_FALSE(
      Unwrap(Outer("Content-Type: application/vnd.ms-outlook; name=\"x.msg\"\r\n"
                   "Content-Transfer-Encoding: base64\r\n"
                   "Content-Disposition: attachment; filename=\"x.msg\"\r\n",
                   Base64(cfb.substr(0, 700)))));
}
