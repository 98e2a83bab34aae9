// Outage windows on a real LMDB store: open, close, tagging of backfilled mail.
#include "recovery/outage.h"
#include "recovery/intake.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "recovery/ingest.h"
#include "recovery/token_health.h"
#include "tests/support/temp_store.h"

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kT0 = 1800000000;

struct TempStore : test_support::TempStore {
  TempStore() : test_support::TempStore("deskmail-outage") {}
  template <class Fn>
  void W(Fn fn) {
    REQUIRE(st->Write([&](store::WriteTxn& t) -> util::Status { return fn(t); }).ok());
  }
};

std::string MailOn(std::int64_t date, int n) {
  return "From: c" + std::to_string(n) + "@customer.example\nSubject: missed " + std::to_string(n) +
         "\nDate: " + test_support::Rfc2822Date(date) + "\nMessage-ID: <m" + std::to_string(n) +
         "@customer.example>\n\nhi\n";
}

}  // namespace

TEST_CASE("an outage opens once, starts at the last sync and closes at reauth") {
  TempStore ts;
  ts.W([](store::WriteTxn& t) { return recovery::RecordSyncSuccess(t, "a", kT0); });
  std::uint64_t id = 0;
  ts.W([&](store::WriteTxn& t) -> util::Status {
    auto r = recovery::OpenOutage(t, "a", "expired: invalid_grant AADSTS700082", kT0 + 2 * kDay);
    REQUIRE(r.ok());
    id = *r;
    // A second failure does not open a second outage.
    auto again = recovery::OpenOutage(t, "a", "expired: again", kT0 + 3 * kDay);
    REQUIRE(again.ok());
    CHECK(*again == id);
    return util::Status{};
  });
  ts.W([&](store::WriteTxn& t) -> util::Status {
    auto o = t.GetOutage(id);
    REQUIRE(o);
    CHECK(o->start == kT0);
    CHECK(o->end == 0);
    CHECK(o->cause == "expired: invalid_grant AADSTS700082");
    CHECK(recovery::LoadHealth(t, "a").open_outage == id);
    auto closed = recovery::CloseOutage(t, "a", kT0 + 5 * kDay);
    REQUIRE(closed.ok());
    CHECK(*closed == id);
    CHECK(t.GetOutage(id)->end == kT0 + 5 * kDay);
    auto h = recovery::LoadHealth(t, "a");
    CHECK(h.open_outage == 0);
    CHECK(h.recovering);
    return util::Status{};
  });
  ts.W([](store::WriteTxn& t) { return recovery::RecordSyncSuccess(t, "a", kT0 + 5 * kDay); });
  ts.W([](store::WriteTxn& t) -> util::Status {
    CHECK_FALSE(recovery::LoadHealth(t, "a").recovering);
    return util::Status{};
  });
}

// Issue 12 changed this case: the backfill's mail is recovered whatever its
// Date: (it used to exclude mail dated before the window).
TEST_CASE("mail the backfill fetches is tagged and counted once whatever its Date") {
  TempStore ts;
  ts.W([](store::WriteTxn& t) { return recovery::RecordSyncSuccess(t, "a", kT0); });
  std::uint64_t id = 0;
  ts.W([&](store::WriteTxn& t) -> util::Status {
    id = *recovery::OpenOutage(t, "a", "expired", kT0 + kDay);
    auto c = recovery::CloseOutage(t, "a", kT0 + 10 * kDay);
    return c.ok() ? util::Status{} : c.status();
  });
  recovery::FilingOptions opts;
  auto ingest = [&](const std::string& account, const std::string& raw) {
    recovery::Outcome out;
    ts.W([&](store::WriteTxn& t) -> util::Status {
      auto r =
          recovery::File(t, recovery::Prepare({account, "", "imap", kT0 + 10 * kDay}, raw), opts);
      REQUIRE(r.ok());
      out = *r;
      return util::Status{};
    });
    return out;
  };
  auto inside = ingest("a", MailOn(kT0 + 3 * kDay, 1));
  auto before = ingest("a", MailOn(kT0 - kDay, 2));
  auto other_account = ingest("b", MailOn(kT0 + 3 * kDay, 3));
  auto again = ingest("a", MailOn(kT0 + 3 * kDay, 1));  // re-delivered: a duplicate
  CHECK(again.kind == recovery::Outcome::Kind::kDuplicate);
  ts.W([&](store::WriteTxn& t) -> util::Status {
    CHECK(t.GetMessage(inside.message_id)->outage_id == id);
    CHECK(t.GetTicket(inside.ticket_id)->outage_id == id);
    CHECK(t.GetMessage(before.message_id)->outage_id == id);
    CHECK(t.GetMessage(other_account.message_id)->outage_id == 0);
    CHECK(t.GetOutage(id)->recovered == 2);
    return util::Status{};
  });
}

TEST_CASE("the backfill's end names the outage it closed and what it recovered") {
  TempStore ts;
  ts.W([](store::WriteTxn& t) { return recovery::RecordSyncSuccess(t, "a", kT0); });
  std::uint64_t id = 0;
  ts.W([&](store::WriteTxn& t) -> util::Status {
    id = *recovery::OpenOutage(t, "a", "expired", kT0 + kDay);
    auto c = recovery::CloseOutage(t, "a", kT0 + 2 * kDay);
    return c.ok() ? util::Status{} : c.status();
  });
  ts.W([&](store::WriteTxn& t) -> util::Status {
    recovery::FilingOptions opts;
    auto r = recovery::File(
        t, recovery::Prepare({"a", "", "imap", kT0 + 2 * kDay}, MailOn(kT0 + kDay + 60, 9)), opts);
    return r.ok() ? util::Status{} : r.status();
  });
  ts.W([](store::WriteTxn& t) { return recovery::RecordSyncSuccess(t, "a", kT0 + 2 * kDay); });
  // A later pass is not a second recovery.
  ts.W([](store::WriteTxn& t) { return recovery::RecordSyncSuccess(t, "a", kT0 + 3 * kDay); });
  std::vector<nlohmann::json> recovered;
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& t) {
                t.ForEachEvent(0, [&](const store::Event& e) {
                  if (e.type == "account.recovered")
                    recovered.push_back(nlohmann::json::parse(e.data_json));
                  return true;
                });
                return util::Status{};
              })
              .ok());
  REQUIRE(recovered.size() == 1);
  CHECK(recovered[0]["account"] == "a");
  CHECK(recovered[0]["outage"] == id);
  CHECK(recovered[0]["recovered"] == 1);
}

// Issue 12: recovered means ARRIVED during the outage (IMAP INTERNALDATE),
// whatever the sender's Date: says: delayed mail and wrong clocks.
TEST_CASE("recovered mail is counted by arrival and not by its Date header") {
  TempStore ts;
  ts.W([](store::WriteTxn& t) { return recovery::RecordSyncSuccess(t, "a", kT0); });
  std::uint64_t id = 0;
  ts.W([&](store::WriteTxn& t) -> util::Status {
    id = *recovery::OpenOutage(t, "a", "expired: invalid_grant", kT0 + kDay);
    auto closed = recovery::CloseOutage(t, "a", kT0 + 3 * kDay);
    return closed.ok() ? util::Status{} : closed.status();
  });
  auto tag = [&](std::int64_t date, std::int64_t arrived) {
    store::MessageRecord rec;
    rec.account = "a";
    rec.date = date;
    rec.arrived_at = arrived;
    ts.W([&](store::WriteTxn& t) { return recovery::TagWithOutage(t, rec); });
    return rec.outage_id;
  };
  // Written an hour before the outage began, arrived during it: recovered.
  CHECK(tag(kT0 - 3600, kT0 + 2 * kDay) == id);
  // Dated inside the window by a sender with a wrong clock, arrived after: not.
  CHECK(tag(kT0 + 2 * kDay, kT0 + 4 * kDay) == 0);
  // No arrival time known (a replayed file): the Date: header decides.
  CHECK(tag(kT0 + 2 * kDay, 0) == id);
  std::uint64_t recovered = 0;
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& t) {
                recovered = t.GetOutage(id)->recovered;
                return util::Status{};
              })
              .ok());
  CHECK(recovered == 2);
  // The IMAP backfill while the account is recovering: recovered whatever
  // the clocks say (Dovecot stamps arrival with its own clock).
  store::MessageRecord backfilled;
  backfilled.account = "a";
  backfilled.channel = "imap";
  backfilled.date = kT0 - 30 * kDay;
  backfilled.arrived_at = kT0 + 30 * kDay;
  ts.W([&](store::WriteTxn& t) { return recovery::TagWithOutage(t, backfilled); });
  CHECK(backfilled.outage_id == id);
  // Once the backfill pass completes, new IMAP mail is not recovered.
  ts.W([](store::WriteTxn& t) { return recovery::RecordSyncSuccess(t, "a", kT0 + 4 * kDay); });
  store::MessageRecord later = backfilled;
  later.outage_id = 0;
  ts.W([&](store::WriteTxn& t) { return recovery::TagWithOutage(t, later); });
  CHECK(later.outage_id == 0);
}
