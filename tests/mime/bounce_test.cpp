// Bounce detection on whole messages: the shapes real MTAs send, the
// subjects they use in many languages, and the human mail that must stay
// mail although it talks about delivery problems.
#include <catch2/catch.hpp>

#include <string>

#include "mime/message.h"

using Catch::Matchers::Contains;
using C = mime::Classification;

namespace {

mime::Message MustParse(const std::string& raw) {
  auto r = mime::Parse(raw);
  INFO(raw.substr(0, 300));
  REQUIRE(r.ok());
  return std::move(r).value();
}

const std::string kDate = "Date: Mon, 1 Jul 2024 10:00:00 +0000\nMessage-ID: <b@x>\n";

std::string Simple(const std::string& from, const std::string& subject, const std::string& body,
                   const std::string& extra = "") {
  return "From: " + from + "\nTo: support@example.com\nSubject: " + subject + "\n" + kDate + extra +
         "Content-Type: text/plain; charset=utf-8\n\n" + body;
}

}  // namespace

TEST_CASE("Bounce shapes beyond a well-formed DSN", "[classify][bounce]") {
  SECTION("multipart/report without report-type") {
    const mime::Message m = MustParse(
        "From: Mail Delivery System <relay@example.net>\nSubject: Delivery status notification\n" +
        kDate +
        "Content-Type: multipart/report; boundary=r\n\n--r\nContent-Type: text/plain\n\n"
        "Your message could not be delivered.\n--r--\n");
    CHECK(m.classification == C::kBounce);
    CHECK_THAT(m.classification_reason, Contains("without report-type"));
  }
  SECTION("a message/delivery-status part inside multipart/mixed") {
    const mime::Message m = MustParse(
        "From: relay@example.net\nSubject: Notice\n" + kDate +
        "Content-Type: multipart/mixed; boundary=r\n\n--r\nContent-Type: text/plain\n\nx\n"
        "--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        "Final-Recipient: rfc822; gone@example.org\nAction: failed\nStatus: 5.1.1\n--r--\n");
    CHECK(m.classification == C::kBounce);
    CHECK(m.classification_reason == "message/delivery-status part");
  }
  SECTION("a text/rfc822-headers part") {
    const mime::Message m = MustParse(
        "From: relay@example.net\nSubject: Notice\n" + kDate +
        "Content-Type: multipart/mixed; boundary=r\n\n--r\nContent-Type: text/plain\n\nx\n"
        "--r\nContent-Type: text/rfc822-headers\n\nFrom: support@example.com\nSubject: Hi\n"
        "--r--\n");
    CHECK(m.classification == C::kBounce);
    CHECK_THAT(m.classification_reason, Contains("text/rfc822-headers"));
  }
  SECTION("only the Return-Path names the mailer daemon") {
    const mime::Message m = MustParse(Simple("Mail Server <info@example.net>", "Problem", "x\n",
                                             "Return-Path: <MAILER-DAEMON@mx.example.net>\n"));
    CHECK(m.classification == C::kBounce);
    CHECK(m.classification_reason == "Return-Path: <MAILER-DAEMON@mx.example.net>");
  }
  SECTION("a null Return-Path") {
    const mime::Message m =
        MustParse(Simple("relay@example.net", "Problem", "x\n", "Return-Path: <>\n"));
    CHECK(m.classification == C::kBounce);
    CHECK(m.classification_reason == "Return-Path: <>");
  }
  SECTION("a read receipt with returned headers is no bounce") {
    const mime::Message m = MustParse(
        "From: anna@example.com\nSubject: Read: Invoice\n" + kDate +
        "Content-Type: multipart/report; report-type=disposition-notification; boundary=r\n\n"
        "--r\nContent-Type: text/plain\n\nread\n--r\n"
        "Content-Type: message/disposition-notification\n\nDisposition: manual-action/"
        "MDN-sent-manually; displayed\n--r\nContent-Type: text/rfc822-headers\n\nSubject: x\n"
        "--r--\n");
    CHECK(m.classification == C::kAutoReply);
  }
}

TEST_CASE("MTA template subjects are bounces on their own", "[classify][bounce]") {
  for (const char* subject :
       {"Undelivered Mail Returned to Sender", "Delivery Status Notification (Failure)",
        "Mail delivery failed: returning message to sender", "failure notice",
        "[Support] Undelivered Mail Returned to Sender"}) {
    INFO(subject);
    const mime::Message m = MustParse(Simple("relay@example.net", subject, "x\n"));
    CHECK(m.classification == C::kBounce);
    CHECK_THAT(m.classification_reason, Contains("Subject: "));
  }
}

TEST_CASE("Non-delivery subjects in many languages, with a machine sender", "[classify][bounce]") {
  const char* subjects[] = {
      "Returned mail: User unknown",
      "Delivery failure notification",
      "Undeliverable: Invoice 42",
      "Mail delivery failed",
      "Unzustellbar: Rechnung 42",           // German
      "Non remis : Facture 42",              // French
      "No se puede entregar: Factura 42",    // Spanish
      "Non recapitabile: Fattura 42",        // Italian
      "Não é possível entregar: Fatura 42",  // Portuguese
      "Onbestelbaar: Factuur 42",            // Dutch
      "Недоставляемое сообщение: Счёт 42",   // Russian
      "配信不能: 請求書 42",                 // Japanese
      "无法投递: 发票 42",                   // Chinese (simplified)
      "無法傳遞: 發票 42",                   // Chinese (traditional)
      "Niedostarczalne: Faktura 42",         // Polish
      "Olevererbart: Faktura 42",            // Swedish
  };
  for (const char* subject : subjects) {
    INFO(subject);
    // A machine sender: the display name, the local part, or MTA text.
    const mime::Message named = MustParse(
        Simple("Mail Delivery System <relay@example.net>", subject, "Your message failed.\n"));
    CHECK(named.classification == C::kBounce);
    CHECK_THAT(named.classification_reason, Contains("Subject: "));
    const mime::Message exchange = MustParse(
        Simple("Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.com>",
               subject, "Delivery has failed to these recipients.\n"));
    CHECK(exchange.classification == C::kBounce);
    const mime::Message wording =
        MustParse(Simple("relay@example.net", subject,
                         "Remote host said: 550 5.1.1 <gone@example.org>: user unknown\n"));
    CHECK(wording.classification == C::kBounce);
    CHECK_THAT(wording.classification_reason, Contains("MTA report text"));
    // The same subject from a person, about a person's problem, is mail.
    const mime::Message person = MustParse(
        Simple("Anna Schmidt <anna@example.com>", subject, "My invoice never arrived, why?\n"));
    CHECK(person.classification == C::kNormal);
    CHECK(person.classification_reason.empty());
  }
}

TEST_CASE("Human mail about delivery problems stays mail", "[classify][bounce]") {
  const std::string cases[] = {
      Simple("jane@example.com", "Returned mail from your shop",
             "My mail to you was returned, it said the mailbox was full.\n"),
      Simple("jane@example.com", "Undeliverable parcel 1234", "The courier could not deliver.\n"),
      Simple("jane@example.com", "Delivery failed for order 5521", "Please resend.\n"),
      Simple("jane@example.com", "Mail delivery failed",
             "My mail to bob@example.org could not be delivered, why?\n"),
      Simple("jane@example.com", "RE: Undelivered Mail Returned to Sender",
             "I got this when writing to you, please check.\n"),
      Simple("jane@example.com", "Can't email you",
             "I got: 550 5.1.1 <help@example.com>: Recipient address rejected\n"),
      Simple("Postal Service Fan <jane@example.com>", "Non-delivery of my order",
             "Still waiting.\n"),
      // A forwarded bounce is a customer asking for help.
      "From: jane@example.com\nSubject: Fwd: Delivery Status Notification (Failure)\n" + kDate +
          "Content-Type: multipart/mixed; boundary=f\n\n--f\nContent-Type: text/plain\n\n"
          "Why does this bounce?\n--f\nContent-Type: message/rfc822\n\n"
          "From: mailer-daemon@googlemail.com\nSubject: Delivery Status Notification (Failure)\n"
          "Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n"
          "--r\nContent-Type: message/delivery-status\n\nAction: failed\n--r--\n--f--\n",
  };
  for (const std::string& raw : cases) {
    const mime::Message m = MustParse(raw);
    INFO(m.subject);
    CHECK(m.classification == C::kNormal);
    CHECK(m.classification_reason.empty());
  }
}
