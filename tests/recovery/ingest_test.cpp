// The threading and dedupe rules of recovery::File for support mail, on a real LMDB store.
#include "recovery/ingest.h"
#include "recovery/intake.h"

#include "tests/support/temp_store.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "util/sha256.h"

namespace {

struct TempStore : test_support::TempStore {
  TempStore() : test_support::TempStore("deskmail-ingest") {}
  recovery::Outcome Ingest(const std::string& raw, const std::string& account = "support",
                           const std::string& source_key = "") {
    recovery::Source src{account, source_key, "replay", 1700000000};
    auto p = recovery::Prepare(src, raw);
    recovery::Outcome out;
    util::Status s = st->Write([&](store::WriteTxn& txn) -> util::Status {
      recovery::FilingOptions f;
      f.ingest = opts;
      auto r = recovery::File(txn, p, f);
      if (!r.ok()) return r.status();
      out = *r;
      return {};
    });
    REQUIRE(s.ok());
    return out;
  }
  std::uint64_t Tickets() {
    std::uint64_t n = 0;
    REQUIRE(st->Read([&](store::ReadTxn& t) {
                n = t.TicketCount();
                return util::Status{};
              }).ok());
    return n;
  }
  std::uint64_t Messages() {
    std::uint64_t n = 0;
    REQUIRE(st->Read([&](store::ReadTxn& t) {
                n = t.MessageCount();
                return util::Status{};
              }).ok());
    return n;
  }
  recovery::IngestOptions opts;
};

std::string Mail(const std::string& from, const std::string& subject, const std::string& msgid,
                 const std::string& extra_headers = "", const std::string& body = "Hello.\n") {
  std::string m = "From: " + from + "\nTo: support@acme.example\nSubject: " + subject +
                  "\nDate: Mon, 02 Nov 2026 10:00:00 +0000\n";
  if (!msgid.empty()) m += "Message-ID: <" + msgid + ">\n";
  return m + extra_headers + "MIME-Version: 1.0\nContent-Type: text/plain\n\n" + body;
}

using Kind = recovery::Outcome::Kind;

}  // namespace

TEST_CASE("a new request opens a ticket with the sender as requester") {
  TempStore ts;
  auto o =
      ts.Ingest(Mail("Jane Roe <Jane@Customer.example>", "Printer jams", "a1@customer.example"));
  CHECK(o.kind == Kind::kNewTicket);
  CHECK(o.ticket_id == 1);
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& t) {
                auto ticket = t.GetTicket(1);
                REQUIRE(ticket);
                CHECK(ticket->requester_address == "jane@customer.example");
                CHECK(ticket->requester_name == "Jane Roe");
                CHECK(ticket->subject == "Printer jams");
                CHECK(ticket->message_ids == std::vector<std::uint64_t>{o.message_id});
                return util::Status{};
              })
              .ok());
}

TEST_CASE("replies thread by tag, In-Reply-To and References") {
  TempStore ts;
  auto first = ts.Ingest(Mail("a@c.example", "Printer jams", "m1@c.example"));
  auto other = ts.Ingest(Mail("b@c.example", "Invoice", "m2@c.example"));
  REQUIRE(first.ticket_id == 1);
  REQUIRE(other.ticket_id == 2);

  auto by_tag = ts.Ingest(Mail("a@c.example", "Re: [#1] Printer jams", "m3@c.example"));
  CHECK(by_tag.kind == Kind::kThreaded);
  CHECK(by_tag.ticket_id == 1);
  CHECK(by_tag.detail == "ticket tag");

  auto by_irt = ts.Ingest(
      Mail("b@c.example", "Re: Invoice", "m4@c.example", "In-Reply-To: <m2@c.example>\n"));
  CHECK(by_irt.kind == Kind::kThreaded);
  CHECK(by_irt.ticket_id == 2);
  CHECK(by_irt.detail == "In-Reply-To");

  // Only the oldest reference is known: the chain still finds the ticket.
  auto by_refs = ts.Ingest(Mail("a@c.example", "Re: Re: jams", "m5@c.example",
                                "References: <m1@c.example> <unknown@elsewhere.example>\n"));
  CHECK(by_refs.kind == Kind::kThreaded);
  CHECK(by_refs.ticket_id == 1);
  CHECK(by_refs.detail == "References");

  // A tag naming a ticket that does not exist is not a thread.
  auto ghost = ts.Ingest(Mail("c@c.example", "Re: [#99] lost", "m6@c.example"));
  CHECK(ghost.kind == Kind::kNewTicket);
  CHECK(ghost.ticket_id == 3);
  CHECK(ts.Tickets() == 3);
  CHECK(ts.Messages() == 6);
}

// Issue 15: a tag is text anyone can type.
TEST_CASE("a tag naming another account's ticket does not thread") {
  TempStore ts;
  auto first = ts.Ingest(Mail("a@c.example", "Printer jams", "t1@c.example"), "support");
  REQUIRE(first.ticket_id == 1);
  auto cross = ts.Ingest(Mail("a@c.example", "Re: [#1] Printer jams", "t2@c.example"), "sales");
  CHECK(cross.kind == Kind::kNewTicket);
  CHECK(cross.ticket_id == 2);
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& t) {
                CHECK(t.GetTicket(1)->message_ids.size() == 1);
                CHECK(t.GetTicket(2)->account == "sales");
                return util::Status{};
              })
              .ok());
}

TEST_CASE("mail threaded by tag from someone not on the ticket is flagged") {
  TempStore ts;
  auto first =
      ts.Ingest(Mail("a@c.example", "Printer jams", "p1@c.example", "Cc: colleague@c.example\n"));
  REQUIRE(first.ticket_id == 1);
  auto own = ts.Ingest(Mail("A@C.example", "Re: [#1] Printer jams", "p2@c.example"));
  auto cc = ts.Ingest(Mail("colleague@c.example", "Re: [#1] Printer jams", "p3@c.example"));
  auto stranger = ts.Ingest(Mail("mallory@evil.example", "Re: [#1] Printer jams", "p4@c.example"));
  for (const auto* o : {&own, &cc, &stranger}) {
    CHECK(o->kind == Kind::kThreaded);
    CHECK(o->ticket_id == 1);
  }
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& t) {
                CHECK(t.GetMessage(own.message_id)->reason.empty());
                CHECK(t.GetMessage(cc.message_id)->reason.empty());
                CHECK(t.GetMessage(stranger.message_id)->reason ==
                      recovery::kTagFromNonParticipant);
                return util::Status{};
              })
              .ok());
}

TEST_CASE("auto-replies, bounces and bulk mail open no ticket and keep their reason") {
  TempStore ts;
  struct Case {
    std::string raw;
    const char* reason_prefix;
  };
  const Case cases[] = {
      {Mail("a@c.example", "Automatic reply: Printer", "r1@c.example",
            "Auto-Submitted: auto-replied\n"),
       "auto-reply"},
      {Mail("MAILER-DAEMON@mx.c.example", "Undelivered Mail", "r2@c.example", "Return-Path: <>\n"),
       "bounce"},
      {Mail("news@c.example", "Our newsletter", "r3@c.example",
            "List-Id: <news.c.example>\nPrecedence: bulk\n"),
       "bulk"},
  };
  for (const auto& c : cases) {
    INFO(c.reason_prefix);
    auto o = ts.Ingest(c.raw);
    CHECK(o.kind == Kind::kIgnored);
    CHECK(o.ticket_id == 0);
    CHECK(o.detail.rfind(c.reason_prefix, 0) == 0);
  }
  CHECK(ts.Tickets() == 0);
  CHECK(ts.Messages() == 3);
}

TEST_CASE("the same message is never stored twice") {
  TempStore ts;
  std::string raw = Mail("a@c.example", "Hello", "dup@c.example");
  auto first = ts.Ingest(raw);
  auto again = ts.Ingest(raw);
  CHECK(again.kind == Kind::kDuplicate);
  CHECK(again.message_id == first.message_id);

  // Same Message-ID, other bytes: only trace headers a copy gathers in
  // transit (another folder, a re-delivery), same account.
  auto same_id = ts.Ingest(
      "Received: from mx2.example by mx.acme.example; Mon, 02 Nov 2026 10:00:05 +0000\n"
      "Delivered-To: support@acme.example\nX-Spam-Score: 0.1\n" +
          raw,
      "support", "imap:Archive/7/1");
  CHECK(same_id.kind == Kind::kDuplicate);
  CHECK(same_id.duplicate == recovery::DuplicateRule::kSameMessageIdAndContent);
  CHECK(same_id.message_id == first.message_id);

  // The same Message-ID in another account is that account's own copy.
  auto other_account = ts.Ingest(raw, "sales");
  CHECK(other_account.kind == Kind::kNewTicket);
  CHECK(ts.Messages() == 2);
}

TEST_CASE("a content key is indexed only for mail the Message-ID cannot find again") {
  TempStore ts;
  const std::string with_id = Mail("a@c.example", "Hello", "known@c.example");
  const std::string without_id = "From: b@c.example\nSubject: no id, no date\n\nbody\n";
  const std::string garbage("\x00\x01\xff binary", 10);
  auto indexed = [&](const std::string& raw) {
    std::optional<std::uint64_t> id;
    REQUIRE(ts.st
                ->Read([&](store::ReadTxn& t) {
                  id = t.FindBySource("support", "sha256:" + util::Sha256Hex(raw));
                  return t.error();
                })
                .ok());
    return id.has_value();
  };
  for (const std::string* raw : {&with_id, &without_id, &garbage}) {
    auto first = ts.Ingest(*raw);
    REQUIRE(first.message_id != 0);
    auto again = ts.Ingest(*raw);  // a second replay of the same file
    CHECK(again.kind == Kind::kDuplicate);
    CHECK(again.message_id == first.message_id);
  }
  CHECK(ts.Messages() == 3);
  CHECK_FALSE(indexed(with_id));  // found again by its Message-ID
  CHECK(indexed(without_id));
  CHECK(indexed(garbage));

  // The intake indexes every key: its log must not change on a second pass.
  const std::string other = Mail("c@c.example", "Intake", "intake@c.example");
  auto p = recovery::Prepare({"support", "", "intake", 1}, other);
  REQUIRE(ts.st
              ->Write([&](store::WriteTxn& txn) -> util::Status {
                auto r = recovery::detail::FileSupport(txn, p, ts.opts,
                                                       recovery::detail::ContentKeys::kIndexAll);
                return r.ok() ? util::Status{} : r.status();
              })
              .ok());
  CHECK(indexed(other));
}

TEST_CASE("mail without a usable sender or that cannot be parsed is kept raw") {
  TempStore ts;
  auto no_from = ts.Ingest("To: support@acme.example\nSubject: who am I\n\nbody\n");
  CHECK(no_from.kind == Kind::kUnprocessable);
  CHECK(no_from.detail == "no sender address");

  std::string garbage("\x00\x01\xff\xfe binary \x89PNG\r\n\x1a\n", 20);
  auto bad = ts.Ingest(garbage);
  CHECK(bad.kind == Kind::kUnprocessable);

  auto empty = ts.Ingest("");
  CHECK(empty.kind == Kind::kEmpty);

  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& t) {
                auto rec = t.GetMessage(bad.message_id);
                REQUIRE(rec);
                CHECK(rec->disposition == store::Disposition::kUnprocessable);
                auto raw = t.GetRaw(rec->raw_sha256);
                REQUIRE(raw);
                CHECK(*raw == garbage);
                return util::Status{};
              })
              .ok());
  CHECK(ts.Tickets() == 0);
  CHECK(ts.Messages() == 2);
}

TEST_CASE("an aborted transaction leaves no message and no ticket") {
  TempStore ts;
  auto p = recovery::Prepare({"support", "", "replay", 1}, Mail("a@c.example", "x", "x@c.example"));
  util::Status s = ts.st->Write([&](store::WriteTxn& txn) -> util::Status {
    auto r = recovery::detail::FileSupport(txn, p, ts.opts);
    REQUIRE(r.ok());
    REQUIRE(r->kind == Kind::kNewTicket);
    return util::Error(util::Code::kInternal, "simulated crash before commit");
  });
  CHECK_FALSE(s.ok());
  CHECK(ts.Tickets() == 0);
  CHECK(ts.Messages() == 0);
  // The id given back: the next ticket is still #1.
  CHECK(ts.Ingest(Mail("a@c.example", "x", "x@c.example")).ticket_id == 1);
}

TEST_CASE("mail without a Message-ID seen again under another source is a duplicate") {
  TempStore ts;
  std::string raw = Mail("a@c.example", "No id here", "");
  auto first = ts.Ingest(raw, "support", "imap:INBOX/1/7");
  REQUIRE(first.kind == Kind::kNewTicket);
  // The folder was renumbered (new UIDVALIDITY): same bytes, new source key.
  auto again = ts.Ingest(raw, "support", "imap:INBOX/2/1");
  CHECK(again.kind == Kind::kDuplicate);
  CHECK(again.message_id == first.message_id);
  // The same text on another Date is another message.
  std::string later = raw;
  later.replace(later.find("10:00:00"), 8, "11:00:00");
  CHECK(ts.Ingest(later, "support", "imap:INBOX/2/2").kind == Kind::kNewTicket);
}

namespace {

// A scanner's or web form's mail: no Message-ID, one attachment.
std::string ScannerMail(const std::string& attachment_b64, const std::string& date) {
  std::string m = "From: scanner@c.example\nTo: support@acme.example\nSubject: Scanned document\n";
  if (!date.empty()) m += "Date: " + date + "\n";
  return m +
         "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
         "--b\nContent-Type: text/plain\n\nPlease find the scan attached.\n"
         "--b\nContent-Type: application/pdf; name=\"scan.pdf\"\n"
         "Content-Disposition: attachment; filename=\"scan.pdf\"\n"
         "Content-Transfer-Encoding: base64\n\n" +
         attachment_b64 + "\n--b--\n";
}

std::vector<store::Event> EventsOf(TempStore& ts, const std::string& type) {
  std::vector<store::Event> out;
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& t) {
                t.ForEachEvent(0, [&](const store::Event& e) {
                  if (e.type == type) out.push_back(e);
                  return true;
                });
                return t.error();
              })
              .ok());
  return out;
}

}  // namespace

TEST_CASE("mail without a Message-ID that differs only in an attachment is kept") {
  TempStore ts;
  const std::string date = "Mon, 02 Nov 2026 10:00:00 +0000";
  auto part1 = ts.Ingest(ScannerMail("JVBERi0xLjQKcGFydCAx", date), "support", "imap:INBOX/1/1");
  auto part2 = ts.Ingest(ScannerMail("JVBERi0xLjQKcGFydCAy", date), "support", "imap:INBOX/1/2");
  CHECK(part1.kind == Kind::kNewTicket);
  CHECK(part2.kind == Kind::kNewTicket);
  CHECK(ts.Messages() == 2);
  // The first part seen again elsewhere is the same mail.
  auto again = ts.Ingest(ScannerMail("JVBERi0xLjQKcGFydCAx", date), "support", "imap:Scans/9/4");
  CHECK(again.kind == Kind::kDuplicate);
  CHECK(again.message_id == part1.message_id);
  CHECK(ts.Messages() == 2);
}

TEST_CASE("mail without Message-ID and Date is found again under a new source key") {
  TempStore ts;
  const std::string raw = ScannerMail("JVBERi0xLjQK", "");
  auto first = ts.Ingest(raw, "support", "imap:INBOX/1/7");
  REQUIRE(first.kind == Kind::kNewTicket);
  auto again = ts.Ingest(raw, "support", "imap:INBOX/2/1");  // the folder was renumbered
  CHECK(again.kind == Kind::kDuplicate);
  CHECK(again.duplicate == recovery::DuplicateRule::kSameContent);
  CHECK(again.message_id == first.message_id);
  CHECK(ts.Tickets() == 1);

  // Unparseable mail is its raw bytes: found again by their digest.
  const std::string garbage("\x00\x01\xff binary", 10);
  auto bad = ts.Ingest(garbage, "support", "imap:INBOX/1/8");
  REQUIRE(bad.kind == Kind::kUnprocessable);
  auto bad_again = ts.Ingest(garbage, "support", "imap:INBOX/2/2");
  CHECK(bad_again.kind == Kind::kDuplicate);
  CHECK(bad_again.message_id == bad.message_id);
  CHECK(ts.Messages() == 2);
}

TEST_CASE("other mail reusing a Message-ID is kept, threaded with the first and flagged") {
  TempStore ts;
  auto first = ts.Ingest(Mail("form@c.example", "Contact form", "form@c.example", "",
                              "Name: Ann\nMessage: my printer is on fire\n"),
                         "support", "imap:INBOX/1/1");
  REQUIRE(first.kind == Kind::kNewTicket);
  auto second = ts.Ingest(Mail("form@c.example", "Contact form", "form@c.example", "",
                               "Name: Bob\nMessage: please close my account\n"),
                          "support", "imap:INBOX/1/2");
  CHECK(second.kind == Kind::kThreaded);
  CHECK(second.ticket_id == first.ticket_id);
  CHECK(second.reuses_message_id_of == first.message_id);
  CHECK(second.message_id != first.message_id);
  CHECK(ts.Messages() == 2);
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& t) {
                auto rec = t.GetMessageHead(second.message_id);
                REQUIRE(rec);
                CHECK(rec->message_id_reused);
                CHECK_FALSE(t.GetMessageHead(first.message_id)->message_id_reused);
                return t.error();
              })
              .ok());
  auto updated = EventsOf(ts, "ticket.updated");
  REQUIRE(updated.size() == 1);
  CHECK_THAT(updated[0].data_json,
             Catch::Contains("\"reuses_message_id_of\":" + std::to_string(first.message_id)));
}

// Prepare skips decoding and hashing attachments of mail with a Message-ID
// (mime::ParseOptions::hash_attachments); the writer works the content
// digest out from the raw bytes only when that Message-ID is stored already.
TEST_CASE(
    "mail with a Message-ID is compared by its attachments only when the Message-ID repeats") {
  TempStore ts;
  auto with = [](const std::string& received, const std::string& pdf_base64) {
    return received + "From: scanner@c.example\nTo: support@acme.example\nSubject: Scan\n" +
           "Date: Mon, 02 Nov 2026 10:00:00 +0000\nMessage-ID: <scan-1@c.example>\n" +
           "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n" +
           "--b\nContent-Type: text/plain\n\nSee attached.\n" +
           "--b\nContent-Type: application/pdf; name=\"scan.pdf\"\n" +
           "Content-Transfer-Encoding: base64\n\n" + pdf_base64 + "\n--b--\n";
  };
  const std::string page1 = "JVBERi0xLjQKcGFnZSAx";  // "%PDF-1.4\npage 1"
  const std::string page2 = "JVBERi0xLjQKcGFnZSAy";  // "%PDF-1.4\npage 2"
  auto first = ts.Ingest(with("Received: by mx1\n", page1), "support", "imap:INBOX/1/1");
  REQUIRE(first.kind == Kind::kNewTicket);
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& t) {
                auto rec = t.GetMessage(first.message_id);
                REQUIRE(rec);
                CHECK(rec->content_digest.empty());  // not worked out at ingest
                REQUIRE(rec->attachments.size() == 1);
                CHECK(rec->attachments[0].filename == "scan.pdf");
                CHECK(rec->attachments[0].size == 15);  // decoded, without decoding
                CHECK(rec->attachments[0].sha256.empty());
                return t.error();
              })
              .ok());
  // The same mail through another relay, in another folder: a duplicate.
  auto copy = ts.Ingest(with("Received: by mx2\n", page1), "support", "imap:Archive/1/7");
  CHECK(copy.kind == Kind::kDuplicate);
  CHECK(copy.message_id == first.message_id);
  CHECK(copy.duplicate == recovery::DuplicateRule::kSameMessageIdAndContent);
  // Same Message-ID, text and headers, another file: kept, threaded, flagged.
  auto other = ts.Ingest(with("Received: by mx1\n", page2), "support", "imap:INBOX/1/2");
  CHECK(other.kind == Kind::kThreaded);
  CHECK(other.ticket_id == first.ticket_id);
  CHECK(other.reuses_message_id_of == first.message_id);
  CHECK(ts.Messages() == 2);
  // The digest the writer worked out for it is kept: the next copy of it
  // parses only itself.
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& t) {
                auto rec = t.GetMessageHead(other.message_id);
                REQUIRE(rec);
                CHECK(rec->content_digest.size() == 64);
                CHECK(t.FindByContent(rec->content_digest) ==
                      std::vector<std::uint64_t>{other.message_id});
                return t.error();
              })
              .ok());
}

TEST_CASE("every duplicate names the input and the stored message in the event stream") {
  TempStore ts;
  const std::string raw = Mail("a@c.example", "Hello", "named@c.example");
  auto first = ts.Ingest(raw, "support", "imap:INBOX/1/1");
  auto again = ts.Ingest(raw, "support", "imap:INBOX/2/5");
  REQUIRE(again.kind == Kind::kDuplicate);
  CHECK_THAT(again.detail, Catch::Contains("message " + std::to_string(first.message_id)));
  auto dups = EventsOf(ts, "message.duplicate");
  REQUIRE(dups.size() == 1);
  auto data = nlohmann::json::parse(dups[0].data_json);
  CHECK(data["input"] == "imap:INBOX/2/5");
  CHECK(data["matched"] == first.message_id);
  CHECK(data["account"] == "support");
  CHECK(data["rule"] == "same Message-ID and content");
}
