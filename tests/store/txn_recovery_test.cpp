// The databases added for OAuth recovery and intake: outages, secrets and
// the intake log (store/schema.h), through a real store and the codec.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "store/detail/codec.h"
#include "store/detail/keys.h"
#include "store/store.h"
#include "tests/store/test_util.h"

namespace {

using store_test::OpenStore;
using store_test::PokeRaw;
using store_test::TempDir;
using util::Code;
using util::Status;

store::OutageRecord FullOutage(std::uint64_t id) {
  store::OutageRecord o;
  o.id = id;
  o.account = "support";
  o.start = 1700000000;
  o.end = -3;
  o.detected_at = 1700086400;
  o.cause = "invalid_grant: AADSTS700082 \xc3\xa9\xff";
  o.recovered = UINT64_MAX;
  return o;
}

store::IntakeLogRecord FullIntake(std::uint64_t seq = 0) {
  store::IntakeLogRecord r;
  r.seq = seq;
  r.at = -1;
  r.account = "intake";
  r.input = "stdin";
  r.decision = "rejected";
  r.reason = "not an allowed forwarder";
  r.forwarder = "eve@example.org";
  r.original_from = "ann@example.org";
  r.original_subject = std::string("sub\0ject", 8);
  r.original_message_id = "orig@example.org";
  r.original_date = 1600000000;
  r.ticket_id = 3;
  r.message_id = 4;
  return r;
}

template <class Fn>
void InRead(store::Store& st, Fn&& fn) {
  Status s = st.Read([&](store::ReadTxn& txn) {
    fn(txn);
    return txn.error();
  });
  INFO(s.ToString());
  REQUIRE(s.ok());
}

std::vector<store::OutageRecord> AllOutages(store::Store& st) {
  std::vector<store::OutageRecord> out;
  InRead(st, [&](store::ReadTxn& txn) {
    txn.ForEachOutage([&](const store::OutageRecord& o) { return out.push_back(o), true; });
  });
  return out;
}

std::vector<store::IntakeLogRecord> IntakeAfter(store::Store& st, std::uint64_t after) {
  std::vector<store::IntakeLogRecord> out;
  InRead(st, [&](store::ReadTxn& txn) {
    txn.ForEachIntakeLog(after,
                         [&](const store::IntakeLogRecord& r) { return out.push_back(r), true; });
  });
  return out;
}

TEST_CASE("codec: outage and intake log round-trip every field", "[codec]") {
  const store::OutageRecord o = FullOutage(9);
  auto od = store::detail::DecodeOutage(store::detail::EncodeOutage(o));
  REQUIRE(od.ok());
  CHECK(*od == o);
  const store::IntakeLogRecord r = FullIntake(12);
  // The seq is the key: the decoder takes it from the caller.
  auto rd = store::detail::DecodeIntakeLog(12, store::detail::EncodeIntakeLog(r));
  REQUIRE(rd.ok());
  CHECK(*rd == r);
  CHECK(store::detail::DecodeIntakeLog(5, store::detail::EncodeIntakeLog(r))->seq == 5);
}

TEST_CASE("codec: bad outage and intake values are corruption", "[codec]") {
  using nlohmann::json;
  auto pack = [](const json& j) {
    std::vector<std::uint8_t> b = json::to_msgpack(j);
    return std::string(b.begin(), b.end());
  };
  const std::vector<std::string> bad = {
      "",
      "\xc1",
      pack(json::array()),
      pack({{"id", 1}}),                      // no version
      pack({{"v", 2}, {"id", 1}}),            // newer than this build
      pack({{"v", 1}, {"id", "one"}}),        // wrong type
      pack({{"v", 1}, {"st", 1e300}}),        // not an integer
      pack({{"v", 1}, {"c", 5}}),             // cause must be text
      pack({{"v", 1}, {"at", "yesterday"}}),  // intake: wrong type
      pack({{"v", 1}, {"t", -1}}),            // negative ticket id
  };
  for (const std::string& b : bad) {
    auto o = store::detail::DecodeOutage(b);
    auto r = store::detail::DecodeIntakeLog(1, b);
    // Each value is bad for at least the record kind whose field it breaks;
    // the ones shared by both (shape, version) must fail both.
    CHECK((!o.ok() || !r.ok()));
    if (!o.ok()) CHECK(o.status().code() == Code::kCorruption);
    if (!r.ok()) CHECK(r.status().code() == Code::kCorruption);
  }
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK_FALSE(store::detail::DecodeOutage(bad[i]).ok());
    CHECK_FALSE(store::detail::DecodeIntakeLog(1, bad[i]).ok());
  }
  // Absent fields take their defaults (an older writer).
  auto o = store::detail::DecodeOutage(pack({{"v", 1}, {"id", 4}}));
  REQUIRE(o.ok());
  CHECK(*o == store::OutageRecord{4, "", 0, 0, 0, "", 0});
}

TEST_CASE("outages: ids allocate 1, 2, 3 and records round-trip", "[outages]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  std::vector<store::OutageRecord> written;
  for (int round = 0; round < 3; ++round) {
    REQUIRE(st->Write([&](store::WriteTxn& txn) {
                store::OutageRecord o = FullOutage(txn.AllocateOutageId());
                o.account = "acct" + std::to_string(round);
                written.push_back(o);
                return txn.PutOutage(o);
              }).ok());
  }
  REQUIRE(written.size() == 3);
  CHECK(written[0].id == 1);
  CHECK(written[1].id == 2);
  CHECK(written[2].id == 3);
  CHECK(AllOutages(*st) == written);
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.GetOutage(2) == written[1]);
    CHECK_FALSE(txn.GetOutage(4).has_value());
    CHECK_FALSE(txn.GetOutage(0).has_value());
  });

  // Closing an outage replaces the record in place.
  store::OutageRecord closed = written[1];
  closed.end = 1700999999;
  closed.recovered = 30;
  REQUIRE(st->Write([&](store::WriteTxn& txn) { return txn.PutOutage(closed); }).ok());
  InRead(*st, [&](store::ReadTxn& txn) { CHECK(txn.GetOutage(2) == closed); });
  CHECK(AllOutages(*st).size() == 3);
}

TEST_CASE("outages: the iteration can stop early", "[outages]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              for (int i = 0; i < 5; ++i) {
                if (Status s = txn.PutOutage(FullOutage(txn.AllocateOutageId())); !s.ok()) {
                  return s;
                }
              }
              return Status::Ok();
            }).ok());
  std::vector<std::uint64_t> seen;
  InRead(*st, [&](store::ReadTxn& txn) {
    txn.ForEachOutage([&](const store::OutageRecord& o) {
      seen.push_back(o.id);
      return o.id < 2;
    });
  });
  CHECK(seen == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("outages: a put with an id never allocated is refused", "[outages]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  for (std::uint64_t id : {0ull, 1ull, 7ull}) {
    Status s = st->Write([&](store::WriteTxn& txn) { return txn.PutOutage(FullOutage(id)); });
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains("outages/" + std::to_string(id)));
  }
  CHECK(AllOutages(*st).empty());
}

TEST_CASE("outages, secrets, intake: an aborted write leaves nothing and gives ids back",
          "[outages][secrets][intake]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  Status s = st->Write([&](store::WriteTxn& txn) {
    REQUIRE(txn.PutOutage(FullOutage(txn.AllocateOutageId())).ok());
    REQUIRE(txn.PutSecret("refresh_token:support", "sealed-bytes").ok());
    REQUIRE(txn.AppendIntakeLog(FullIntake()).ok());
    return util::Error(Code::kInternal, "changed my mind");
  });
  CHECK(s.code() == Code::kInternal);
  CHECK(AllOutages(*st).empty());
  CHECK(IntakeAfter(*st, 0).empty());
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK_FALSE(txn.GetSecret("refresh_token:support").has_value());
  });
  // The ids the aborted transaction took come back.
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              CHECK(txn.AllocateOutageId() == 1);
              return txn.AppendIntakeLog(FullIntake());
            }).ok());
  CHECK(IntakeAfter(*st, 0).at(0).seq == 1);
}

TEST_CASE("secrets: put, replace, delete, and names are distinct keys", "[secrets]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  const std::string binary("\x01\0\xff sealed", 10);
  const std::string long_a = "refresh_token:" + std::string(600, 'a');
  const std::string long_b = long_a + "b";  // same folded prefix, other digest
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              for (Status s : {txn.PutSecret("refresh_token:support", binary),
                               txn.PutSecret("refresh_token:sales", "other"),
                               txn.PutSecret(long_a, "A"), txn.PutSecret(long_b, "B")}) {
                if (!s.ok()) return s;
              }
              return Status::Ok();
            }).ok());
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.GetSecret("refresh_token:support") == binary);
    CHECK(txn.GetSecret("refresh_token:sales") == "other");
    CHECK(txn.GetSecret(long_a) == "A");
    CHECK(txn.GetSecret(long_b) == "B");
    CHECK_FALSE(txn.GetSecret("refresh_token:nobody").has_value());
    CHECK_FALSE(txn.GetSecret("").has_value());
  });
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              if (Status s = txn.PutSecret("refresh_token:support", "rotated"); !s.ok()) return s;
              if (Status s = txn.DeleteSecret("refresh_token:sales"); !s.ok()) return s;
              // Deleting what is not there is not an error (idempotent cleanup).
              return txn.DeleteSecret("refresh_token:nobody");
            }).ok());
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.GetSecret("refresh_token:support") == "rotated");
    CHECK_FALSE(txn.GetSecret("refresh_token:sales").has_value());
  });
}

TEST_CASE("secrets: empty names and values are refused without writing", "[secrets]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  Status s = st->Write([&](store::WriteTxn& txn) {
    CHECK(txn.PutSecret("", "x").code() == Code::kInvalidArgument);
    CHECK(txn.PutSecret("refresh_token:a", "").code() == Code::kInvalidArgument);
    CHECK(txn.DeleteSecret("").code() == Code::kInvalidArgument);
    // The transaction stays usable after a refused put.
    return txn.PutSecret("refresh_token:a", "ok");
  });
  REQUIRE(s.ok());
  InRead(*st, [&](store::ReadTxn& txn) { CHECK(txn.GetSecret("refresh_token:a") == "ok"); });
}

TEST_CASE("intake: append assigns 1, 2, 3 and iterates from a seq", "[intake]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  for (int i = 0; i < 4; ++i) {
    REQUIRE(st->Write([&](store::WriteTxn& txn) {
                store::IntakeLogRecord r = FullIntake(/*seq ignored=*/99);
                r.input = "file" + std::to_string(i);
                return txn.AppendIntakeLog(r);
              }).ok());
  }
  std::vector<store::IntakeLogRecord> all = IntakeAfter(*st, 0);
  REQUIRE(all.size() == 4);
  for (std::size_t i = 0; i < all.size(); ++i) {
    store::IntakeLogRecord want = FullIntake(i + 1);
    want.input = "file" + std::to_string(i);
    CHECK(all[i] == want);
  }
  std::vector<store::IntakeLogRecord> tail = IntakeAfter(*st, 2);
  REQUIRE(tail.size() == 2);
  CHECK(tail[0].seq == 3);
  CHECK(IntakeAfter(*st, 4).empty());
  CHECK(IntakeAfter(*st, UINT64_MAX).empty());
}

TEST_CASE("outages, intake: a corrupt record is skipped and reported", "[outages][intake]") {
  TempDir tmp;
  {
    auto st = OpenStore(tmp.store());
    REQUIRE(st->Write([&](store::WriteTxn& txn) {
                for (int i = 0; i < 2; ++i) {
                  if (Status s = txn.PutOutage(FullOutage(txn.AllocateOutageId())); !s.ok()) {
                    return s;
                  }
                  if (Status s = txn.AppendIntakeLog(FullIntake()); !s.ok()) return s;
                }
                return Status::Ok();
              }).ok());
  }
  PokeRaw(tmp.store(), "outages", store::detail::EncodeU64(1), "junk");
  PokeRaw(tmp.store(), "intake_log", store::detail::EncodeU64(2), "junk");
  auto st = OpenStore(tmp.store());
  Status s = st->Read([&](store::ReadTxn& txn) {
    CHECK_FALSE(txn.GetOutage(1).has_value());
    CHECK(txn.error().code() == Code::kCorruption);
    CHECK_THAT(txn.error().message(), Catch::Contains("outages/1"));
    std::vector<std::uint64_t> ids;
    txn.ForEachOutage([&](const store::OutageRecord& o) { return ids.push_back(o.id), true; });
    CHECK(ids == std::vector<std::uint64_t>{2});
    std::vector<std::uint64_t> seqs;
    txn.ForEachIntakeLog(
        0, [&](const store::IntakeLogRecord& r) { return seqs.push_back(r.seq), true; });
    CHECK(seqs == std::vector<std::uint64_t>{1});
    return Status::Ok();
  });
  CHECK(s.ok());
}

}  // namespace
