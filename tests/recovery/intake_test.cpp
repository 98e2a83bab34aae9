// The intake rules (issue 5) on a real LMDB store, with forwards the
// unwrapper reads: Gmail-style inline forwards built in the test.
#include "recovery/intake.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>

#include "recovery/outage.h"
#include "tests/support/temp_store.h"

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kNow = 1795000000;  // the intake's receipt time

std::string Rfc2822(std::int64_t t) { return test_support::Rfc2822Date(t); }

// Gmail's "Date:" line in a forward: "Mon, Nov 2, 2026 at 10:00 AM".
std::string GmailDate(std::int64_t t) {
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %b %d, %Y at %I:%M %p", &tm);
  return buf;
}

struct Original {
  std::string from = "Jane Roe <jane@customer.example>";
  std::string subject = "Printer jams on every page";
  std::int64_t date = kNow - 3 * kDay;
  std::string body = "The printer jams on every page since Monday.";
};

// The receiving MTA's verdict on the forward, as the intake's trusted
// border (authserv-id mx.acme.example) records it.
std::string TrustedDmarcPass(const std::string& forwarder) {
  return "Authentication-Results: mx.acme.example;\r\n dkim=pass header.d=" +
         forwarder.substr(forwarder.find('@') + 1) +
         ";\r\n dmarc=pass (p=reject) header.from=" + forwarder.substr(forwarder.find('@') + 1) +
         "\r\n";
}

std::string Forward(const Original& o, const std::string& forwarder = "agent@acme.example",
                    const std::string& outer_id = "fwd1@acme.example",
                    const std::string& trace = "-") {
  return (trace == "-" ? TrustedDmarcPass(forwarder) : trace) + "From: Agent <" + forwarder +
         ">\r\nTo: intake@acme.example\r\nSubject: Fwd: " + o.subject +
         "\r\nDate: " + Rfc2822(kNow - 3600) + "\r\nMessage-ID: <" + outer_id +
         ">\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
         "Missed during the outage, please file.\r\n\r\n"
         "---------- Forwarded message ---------\r\n"
         "From: " +
         o.from + "\r\nDate: " + GmailDate(o.date) + "\r\nSubject: " + o.subject +
         "\r\nTo: <support@acme.example>\r\n\r\n" + o.body + "\r\n";
}

// An intake outcome as the intake log words it.
struct Decided {
  Decided() = default;
  explicit Decided(const recovery::Outcome& o)
      : decision(recovery::IntakeDecisionName(o)),
        reason(o.detail),
        ticket_id(o.ticket_id),
        message_id(o.message_id),
        undated(o.undated) {}
  std::string decision;
  std::string reason;
  std::uint64_t ticket_id = 0;
  std::uint64_t message_id = 0;
  bool undated = false;
};

struct TempStore : test_support::TempStore {
  TempStore() : test_support::TempStore("deskmail-intake") {
    opts.allowed_forwarders = {"@acme.example", "lead@partner.example"};
    opts.auth.trusted_authserv_ids = {"mx.acme.example"};
    opts.account_addresses = {{"support@acme.example", "support"}};
  }
  Decided Intake(const std::string& raw, std::int64_t now = kNow) {
    recovery::Source src{"intake", "", "intake", now};
    src.intake = true;
    src.input = "test.eml";
    auto p = recovery::Prepare(src, raw);
    Decided out;
    REQUIRE(st->Write([&](store::WriteTxn& t) -> util::Status {
                auto r = recovery::File(t, p, opts);
                if (!r.ok()) return r.status();
                out = Decided(*r);
                return util::Status{};
              }).ok());
    return out;
  }
  recovery::Outcome Direct(const std::string& raw) {
    auto p = recovery::Prepare({"support", "", "imap", kNow - 5 * kDay}, raw);
    recovery::Outcome out;
    REQUIRE(st->Write([&](store::WriteTxn& t) -> util::Status {
                auto r = recovery::File(t, p, opts);
                if (!r.ok()) return r.status();
                out = *r;
                return util::Status{};
              }).ok());
    return out;
  }
  template <class Fn>
  void Read(Fn fn) {
    REQUIRE(st->Read([&](store::ReadTxn& t) {
                fn(t);
                return util::Status{};
              }).ok());
  }
  recovery::IntakeOptions opts;
};

}  // namespace

TEST_CASE("an allowed forward becomes a ticket of the original sender, at the original date") {
  TempStore ts;
  Original o;
  auto out = ts.Intake(Forward(o));
  INFO(out.reason);
  REQUIRE(out.decision == "accepted");
  ts.Read([&](store::ReadTxn& t) {
    auto ticket = t.GetTicket(out.ticket_id);
    REQUIRE(ticket);
    CHECK(ticket->requester_address == "jane@customer.example");
    CHECK(ticket->channel == "recovered_forward");
    CHECK(ticket->forwarder == "agent@acme.example");
    CHECK(ticket->account == "support");
    CHECK(ticket->created_at / 60 == o.date / 60);  // the forward's header has minutes only
    auto msg = t.GetMessage(out.message_id);
    REQUIRE(msg);
    CHECK(msg->subject == o.subject);
    CHECK_THAT(msg->body_text, Catch::Contains("jams on every page"));
    std::vector<store::IntakeLogRecord> log;
    t.ForEachIntakeLog(0, [&](const store::IntakeLogRecord& r) {
      log.push_back(r);
      return true;
    });
    REQUIRE(log.size() == 1);
    CHECK(log[0].decision == "accepted");
    CHECK(log[0].original_from == "jane@customer.example");
  });
}

TEST_CASE("the 14-day limit, at its boundary") {
  TempStore ts;
  struct Case {
    std::int64_t age;
    const char* want;
  };
  const Case cases[] = {
      {14 * kDay - 60, "accepted"},  // just inside
      {14 * kDay + 3600, "rejected"},
      {30 * kDay, "rejected"},
  };
  int n = 0;
  for (const auto& c : cases) {
    Original o;
    o.date = kNow - c.age;
    o.from = "c" + std::to_string(n) + " <c" + std::to_string(n) + "@customer.example>";
    auto out =
        ts.Intake(Forward(o, "agent@acme.example", "f" + std::to_string(n++) + "@acme.example"));
    INFO(out.reason);
    CHECK(out.decision == c.want);
    if (out.decision == "rejected") {
      CHECK_THAT(out.reason, Catch::Contains("limit 14 days"));
      CHECK_THAT(out.reason, Catch::Contains("agent@acme.example"));
      CHECK(out.ticket_id == 0);
    }
  }
}

TEST_CASE("a stranger's forward is not unwrapped: ordinary mail, flagged") {
  TempStore ts;
  auto out = ts.Intake(Forward(Original{}, "mallory@evil.example"));
  CHECK(out.decision == "unauthorized");
  ts.Read([&](store::ReadTxn& t) {
    auto ticket = t.GetTicket(out.ticket_id);
    REQUIRE(ticket);
    CHECK(ticket->requester_address == "mallory@evil.example");  // not the customer
    CHECK(t.GetMessage(out.message_id)->reason == "unauthorized forward");
  });
  // An allowed single address.
  CHECK(ts.Intake(Forward(Original{}, "lead@partner.example", "f2@partner.example")).decision ==
        "accepted");
}

TEST_CASE("forwarder matching: whole domains and single addresses") {
  std::vector<std::string> allowed{"@support.example.com", "Lead@Example.com"};
  CHECK(recovery::ForwarderAllowed(allowed, "bob@support.example.com"));
  CHECK(recovery::ForwarderAllowed(allowed, "lead@example.com"));
  CHECK_FALSE(recovery::ForwarderAllowed(allowed, "other@example.com"));
  CHECK_FALSE(recovery::ForwarderAllowed(allowed, "bob@evilsupport.example.com"));
  CHECK_FALSE(recovery::ForwarderAllowed(allowed, "bob@support.example.com.evil"));
  CHECK_FALSE(recovery::ForwarderAllowed(allowed, ""));
}

TEST_CASE("duplicates: by Message-ID of an attached original, and by fingerprint") {
  TempStore ts;
  Original o;
  // The original was fetched normally before the outage hid nothing.
  std::string original = "From: " + o.from +
                         "\r\nTo: support@acme.example\r\nSubject: " + o.subject +
                         "\r\nDate: " + Rfc2822(o.date) +
                         "\r\nMessage-ID: <orig1@customer.example>\r\n\r\n" + o.body + "\r\n";
  auto direct = ts.Direct(original);
  REQUIRE(direct.kind == recovery::Outcome::Kind::kNewTicket);

  // Forwarded as an attachment: the original's Message-ID is exact.
  std::string attached =
      TrustedDmarcPass("agent@acme.example") +
      "From: agent@acme.example\r\nTo: intake@acme.example\r\nSubject: Fwd: " + o.subject +
      "\r\nDate: " + Rfc2822(kNow) +
      "\r\nMessage-ID: <fa@acme.example>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
      "see attached\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n" +
      original + "\r\n--b--\r\n";
  auto by_id = ts.Intake(attached);
  INFO(by_id.reason);
  CHECK(by_id.decision == "duplicate");
  CHECK(by_id.ticket_id == direct.ticket_id);

  // Forwarded inline: no Message-ID, but the same sender, subject, text and minute.
  auto by_fp = ts.Intake(Forward(o));
  INFO(by_fp.reason);
  CHECK(by_fp.decision == "duplicate");
  CHECK_THAT(by_fp.reason, Catch::Contains("same sender, subject, text and date"));

  // Same text on another day is a new request.
  Original later = o;
  later.date = o.date + kDay;
  CHECK(ts.Intake(Forward(later, "agent@acme.example", "fwd9@acme.example")).decision ==
        "accepted");
}

TEST_CASE("a forward whose original carries the ticket tag is appended to that ticket") {
  TempStore ts;
  auto first = ts.Direct(
      "From: jane@customer.example\r\nSubject: Broken screen\r\nDate: " + Rfc2822(kNow - 6 * kDay) +
      "\r\nMessage-ID: <s1@customer.example>\r\n\r\nHelp\r\n");
  REQUIRE(first.ticket_id == 1);
  Original o;
  o.subject = "Re: [#1] Broken screen";
  o.body = "Any news on this?";
  auto out = ts.Intake(Forward(o));
  INFO(out.reason);
  CHECK(out.decision == "appended");
  CHECK(out.ticket_id == 1);
}

TEST_CASE("a forwarded original tagged with another account's ticket opens its own ticket") {
  TempStore ts;
  auto p = recovery::Prepare(
      {"sales", "", "imap", kNow - 5 * kDay},
      "From: bob@other.example\r\nSubject: Quote\r\nDate: " + Rfc2822(kNow - 6 * kDay) +
          "\r\nMessage-ID: <q1@other.example>\r\n\r\nPrice?\r\n");
  REQUIRE(ts.st
              ->Write([&](store::WriteTxn& t) -> util::Status {
                auto r = recovery::File(t, p, ts.opts);
                return r.ok() ? util::Status{} : r.status();
              })
              .ok());
  Original o;
  o.subject = "Re: [#1] Broken screen";  // ticket 1 is sales', the original went to support
  auto out = ts.Intake(Forward(o));
  INFO(out.reason);
  CHECK(out.decision == "accepted");
  CHECK(out.ticket_id == 2);
}

TEST_CASE("a forwarded original tagged by a stranger to the ticket is appended, flagged") {
  TempStore ts;
  auto first = ts.Direct(
      "From: jane@customer.example\r\nSubject: Broken screen\r\nDate: " + Rfc2822(kNow - 6 * kDay) +
      "\r\nMessage-ID: <s1@customer.example>\r\n\r\nHelp\r\n");
  REQUIRE(first.ticket_id == 1);
  Original o;
  o.from = "Mallory <mallory@evil.example>";
  o.subject = "Re: [#1] Broken screen";
  auto out = ts.Intake(Forward(o));
  CHECK(out.decision == "appended");
  CHECK_THAT(out.reason, Catch::Contains("flagged"));
  ts.Read([&](store::ReadTxn& t) {
    CHECK(t.GetMessage(out.message_id)->reason == recovery::kTagFromNonParticipant);
  });
}

TEST_CASE("a recovered forward dated inside an outage is tagged with it") {
  TempStore ts;
  std::uint64_t outage = 0;
  REQUIRE(ts.st
              ->Write([&](store::WriteTxn& t) -> util::Status {
                if (auto s = recovery::RecordSyncSuccess(t, "support", kNow - 10 * kDay); !s.ok())
                  return s;
                auto r =
                    recovery::OpenOutage(t, "support", "expired: invalid_grant", kNow - 9 * kDay);
                outage = *r;
                return util::Status{};
              })
              .ok());
  auto out = ts.Intake(Forward(Original{}));
  REQUIRE(out.decision == "accepted");
  ts.Read([&](store::ReadTxn& t) {
    CHECK(t.GetTicket(out.ticket_id)->outage_id == outage);
    CHECK(t.GetOutage(outage)->recovered == 1);
  });
}

TEST_CASE("the same intake message twice changes nothing, not even the log") {
  TempStore ts;
  std::string fwd = Forward(Original{});
  auto first = ts.Intake(fwd);
  REQUIRE(first.decision == "accepted");
  auto second = ts.Intake(fwd);
  CHECK(second.decision == "duplicate");
  ts.Read([&](store::ReadTxn& t) {
    CHECK(t.TicketCount() == 1);
    CHECK(t.MessageCount() == 1);
    int log = 0;
    t.ForEachIntakeLog(0, [&](const store::IntakeLogRecord&) {
      ++log;
      return true;
    });
    CHECK(log == 1);
  });
}

TEST_CASE("mail to the intake that is not a forward is ordinary mail") {
  TempStore ts;
  auto out =
      ts.Intake("From: someone@customer.example\r\nSubject: Fwd: hello\r\nDate: " + Rfc2822(kNow) +
                "\r\n\r\nJust a note, nothing forwarded.\r\n");
  CHECK(out.decision == "not-forward");
  CHECK(out.ticket_id != 0);
}

// Issue 15: an allowed From: proves nothing; the receiving side must vouch.
TEST_CASE("a forward from an allowed address that nothing vouches for is not unwrapped, flagged") {
  TempStore ts;
  auto out = ts.Intake(Forward(Original{}, "agent@acme.example", "fwd1@acme.example", ""));
  INFO(out.reason);
  CHECK(out.decision == "unauthenticated");
  CHECK_THAT(out.reason, Catch::Contains("unauthenticated forward from agent@acme.example"));
  CHECK_THAT(out.reason, Catch::Contains("no Authentication-Results"));
  ts.Read([&](store::ReadTxn& t) {
    auto ticket = t.GetTicket(out.ticket_id);
    REQUIRE(ticket);
    CHECK(ticket->requester_address == "agent@acme.example");  // not the customer
    CHECK(ticket->channel == "intake");
    CHECK(t.GetMessage(out.message_id)->reason == "unauthenticated forward");
    std::vector<store::IntakeLogRecord> log;
    t.ForEachIntakeLog(0, [&](const store::IntakeLogRecord& r) {
      log.push_back(r);
      return true;
    });
    REQUIRE(log.size() == 1);
    CHECK(log[0].decision == "unauthenticated");
    CHECK_THAT(log[0].reason, Catch::Contains("unauthenticated forward"));
    CHECK(log[0].forwarder == "agent@acme.example");
  });
}

TEST_CASE("a trusted Authentication-Results with aligned DMARC pass unwraps the forward") {
  TempStore ts;
  auto out = ts.Intake(Forward(Original{}, "agent@acme.example", "fwd1@acme.example",
                               "Authentication-Results: MX.ACME.EXAMPLE 1; spf=pass "
                               "smtp.mailfrom=acme.example;\r\n\tdmarc=pass (p=none dis=none) "
                               "header.from=acme.example\r\n"));
  INFO(out.reason);
  CHECK(out.decision == "accepted");
  ts.Read([&](store::ReadTxn& t) {
    CHECK(t.GetTicket(out.ticket_id)->requester_address == "jane@customer.example");
  });
}

TEST_CASE("Authentication-Results from an untrusted authserv-id are ignored") {
  TempStore ts;
  auto out = ts.Intake(Forward(Original{}, "agent@acme.example", "fwd1@acme.example",
                               "Authentication-Results: mx.evil.example; dmarc=pass "
                               "header.from=acme.example\r\n"));
  INFO(out.reason);
  CHECK(out.decision == "unauthenticated");
  CHECK_THAT(out.reason, Catch::Contains("no Authentication-Results from a trusted authserv-id"));
}

TEST_CASE("a forged trusted Authentication-Results below the receiving MTA's own does not count") {
  TempStore ts;
  // The MTA's verdict on top (fail), the sender's forgery underneath.
  auto out = ts.Intake(
      Forward(Original{}, "agent@acme.example", "fwd1@acme.example",
              "Authentication-Results: mx.acme.example; dmarc=fail header.from=acme.example\r\n"
              "Received: from evil.example by mx.acme.example; Mon, 2 Nov 2026 10:00:00 +0000\r\n"
              "Authentication-Results: mx.acme.example; dmarc=pass header.from=acme.example\r\n"));
  INFO(out.reason);
  CHECK(out.decision == "unauthenticated");
  CHECK_THAT(out.reason, Catch::Contains("dmarc=fail"));
}

TEST_CASE("DMARC pass for another domain does not vouch for the From:") {
  TempStore ts;
  auto out = ts.Intake(Forward(Original{}, "agent@acme.example", "fwd1@acme.example",
                               "Authentication-Results: mx.acme.example; dmarc=pass "
                               "header.from=evil.example\r\n"));
  CHECK(out.decision == "unauthenticated");
}

TEST_CASE("the envelope sender an MTA pipe passes vouches when require = envelope") {
  TempStore ts;
  ts.opts.auth.require = recovery::ForwarderAuthLevel::kEnvelope;
  ts.opts.auth.envelope_sender = "Agent@ACME.example";
  auto out = ts.Intake(Forward(Original{}, "agent@acme.example", "fwd1@acme.example", ""));
  INFO(out.reason);
  CHECK(out.decision == "accepted");
  ts.opts.auth.envelope_sender = "mallory@evil.example";
  auto other = ts.Intake(Forward(Original{}, "agent@acme.example", "fwd2@acme.example", ""));
  CHECK(other.decision == "unauthenticated");
  CHECK_THAT(other.reason, Catch::Contains("envelope sender <mallory@evil.example>"));
  // The default (dmarc) does not take the envelope's word.
  ts.opts.auth.require = recovery::ForwarderAuthLevel::kDmarc;
  ts.opts.auth.envelope_sender = "agent@acme.example";
  CHECK(ts.Intake(Forward(Original{}, "agent@acme.example", "fwd3@acme.example", "")).decision ==
        "unauthenticated");
}

TEST_CASE("Exchange Online's organization headers vouch only on mail fetched from Exchange") {
  TempStore ts;
  ts.opts.auth.exchange_online = true;
  const std::string internal =
      "X-MS-Exchange-Organization-AuthSource: AM0PR01MB1234.eurprd01.prod.exchangelabs.com\r\n"
      "X-MS-Exchange-Organization-AuthAs: Internal\r\n"
      "X-MS-Exchange-Organization-MessageDirectionality: Originating\r\n";
  auto fetched = [&](const std::string& raw, const std::string& channel) {
    recovery::Source src{"intake", "", channel, kNow};
    src.intake = true;
    auto p = recovery::Prepare(src, raw);
    Decided out;
    REQUIRE(ts.st
                ->Write([&](store::WriteTxn& t) -> util::Status {
                  auto r = recovery::File(t, p, ts.opts);
                  if (!r.ok()) return r.status();
                  out = Decided(*r);
                  return util::Status{};
                })
                .ok());
    return out;
  };
  CHECK(fetched(Forward(Original{}, "agent@acme.example", "x1@acme.example", internal), "imap")
            .decision == "accepted");
  // The same headers on a file or an MTA pipe prove nothing.
  CHECK(fetched(Forward(Original{}, "agent@acme.example", "x2@acme.example", internal), "intake")
            .decision == "unauthenticated");
  // Mail from outside the tenant: AuthAs Anonymous.
  const std::string anonymous =
      "X-MS-Exchange-Organization-AuthAs: Anonymous\r\n"
      "X-MS-Exchange-Organization-MessageDirectionality: Incoming\r\n";
  CHECK(fetched(Forward(Original{}, "agent@acme.example", "x3@acme.example", anonymous), "imap")
            .decision == "unauthenticated");
}
