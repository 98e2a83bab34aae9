// store::Verify: a clean store verifies; each kind of damage, planted with
// plain LMDB calls as a crash, a bug or a hand edit would leave it, is
// reported under its check.
#include <lmdb.h>

#include <catch2/catch.hpp>

#include "store/detail/codec.h"
#include "store/detail/keys.h"
#include "store/secret_box.h"
#include "store/verify.h"
#include "tests/store/test_util.h"
#include "util/sha256.h"

namespace {

using store::detail::EncodeTicket;
using store::detail::EncodeU64;
using store_test::TempDir;
using util::Status;

const std::string kKey(64, 'a');  // 64 hex digits: a valid master key text

// Deletes key (and, for MDB_DUPSORT, only `value` when given).
// REQUIRES: no Store is open on `dir` in this process.
void DropRaw(const std::string& dir, const char* db, std::string_view key,
             std::string_view value = {}) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  std::unique_ptr<MDB_env, void (*)(MDB_env*)> owner(env, mdb_env_close);
  REQUIRE(mdb_env_set_maxdbs(env, store::kDbCount) == 0);
  REQUIRE(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi dbi = 0;
  REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{value.size(), const_cast<char*>(value.data())};
  const int rc = mdb_del(txn, dbi, &k, value.empty() ? nullptr : &v);
  if (rc != 0) mdb_txn_abort(txn);
  REQUIRE(rc == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
}

// Two tickets of two IMAP messages each, a replayed one, a checkpoint and
// a sealed secret: every database verify walks has something in it.
void Fill(const std::string& dir) {
  auto st = store_test::OpenStore(dir);
  auto box = store::SecretBox::FromKeyText(kKey);
  REQUIRE(box.ok());
  REQUIRE(st->Write([&](store::WriteTxn& txn) -> Status {
              for (int t = 0; t < 2; ++t) {
                store::TicketRecord ticket;
                ticket.id = txn.AllocateTicketId();
                ticket.account = "support";
                for (int m = 0; m < 2; ++m) {
                  const int uid = t * 2 + m + 1;
                  const std::string raw = "Subject: " + std::to_string(uid) + "\r\n\r\nbody\r\n";
                  store::MessageRecord rec;
                  rec.id = txn.AllocateMessageId();
                  rec.account = "support";
                  rec.source_key = "imap:INBOX/7/" + std::to_string(uid);
                  rec.channel = "imap";
                  rec.message_id = "m" + std::to_string(uid) + "@example.org";
                  rec.fingerprint = std::string(63, 'f') + std::to_string(uid);
                  rec.raw_sha256 = util::Sha256Hex(raw);
                  rec.ticket_id = ticket.id;
                  rec.body_text = uid == 1 ? "kept text" : "";
                  if (Status s = txn.PutRaw(rec.raw_sha256, raw); !s.ok()) return s;
                  if (Status s = txn.PutMessage(rec); !s.ok()) return s;
                  ticket.message_ids.push_back(rec.id);
                }
                if (Status s = txn.PutTicket(ticket); !s.ok()) return s;
              }
              store::MessageRecord replayed;
              replayed.id = txn.AllocateMessageId();
              replayed.account = "support";
              const std::string raw = "Message-ID: <r@x>\r\n\r\nr\r\n";
              replayed.raw_sha256 = util::Sha256Hex(raw);
              replayed.source_key = "sha256:" + replayed.raw_sha256;
              replayed.message_id = "r@x";
              replayed.disposition = store::Disposition::kIgnored;
              if (Status s = txn.PutRaw(replayed.raw_sha256, raw); !s.ok()) return s;
              if (Status s = txn.PutMessage(replayed, store::WriteTxn::SourceIndex::kSkip);
                  !s.ok()) {
                return s;
              }
              if (Status s = txn.PutCheckpoint("support", "INBOX", {7, 4, 1}); !s.ok()) return s;
              auto sealed = box->Seal("refresh-token", "refresh_token:support");
              if (!sealed.ok()) return sealed.status();
              return txn.PutSecret("refresh_token:support", *sealed);
            }).ok());
}

store::VerifyReport VerifyDir(const std::string& dir, bool with_key = true) {
  store::Options o = store_test::FastOptions();
  o.read_only = true;
  auto st = store_test::OpenStore(dir, o);
  auto box = store::SecretBox::FromKeyText(kKey);
  REQUIRE(box.ok());
  store::VerifyOptions opts;
  if (with_key) opts.secrets = &*box;
  auto r = store::Verify(*st, opts);
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string Dump(const store::VerifyReport& r) {
  std::string s;
  for (const auto& f : r.findings) s += f.check + ": " + f.where + ": " + f.what + "\n";
  return s;
}

bool Reports(const store::VerifyReport& r, std::string_view check, std::string_view where) {
  for (const auto& f : r.findings) {
    if (f.check == check && f.where.find(where) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("verify: a clean store is consistent", "[verify]") {
  TempDir tmp;
  Fill(tmp.store());
  const store::VerifyReport r = VerifyDir(tmp.store());
  INFO(Dump(r));
  CHECK(r.consistent());
  CHECK(r.counts.at("messages") == 5);
  CHECK(r.counts.at("tickets") == 2);
  CHECK(r.counts.at("raw_index") == 5);
  CHECK(r.secrets == "checked: 1 of 1 opened");
  CHECK_THAT(VerifyDir(tmp.store(), false).secrets, Catch::StartsWith("not checked: "));
}

TEST_CASE("verify: an empty store is consistent", "[verify]") {
  TempDir tmp;
  { auto st = store_test::OpenStore(tmp.store()); }
  const store::VerifyReport r = VerifyDir(tmp.store());
  INFO(Dump(r));
  CHECK(r.consistent());
}

TEST_CASE("verify: each kind of damage is reported", "[verify]") {
  TempDir tmp;
  Fill(tmp.store());
  const std::string dir = tmp.store();

  SECTION("a ticket lists a message that is not stored") {
    store::TicketRecord t;
    t.id = 1;
    t.account = "support";
    t.message_ids = {1, 2, 99};
    store_test::PokeRaw(dir, "tickets", EncodeU64(1), EncodeTicket(t));
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "ticket", "tickets/1"));
    CHECK_FALSE(r.consistent());
  }
  SECTION("a message names a ticket that does not list it") {
    store::TicketRecord t;
    t.id = 2;
    t.account = "support";
    t.message_ids = {3};  // drops message 4, which still names ticket 2
    store_test::PokeRaw(dir, "tickets", EncodeU64(2), EncodeTicket(t));
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "ticket", "messages/4"));
  }
  SECTION("a message is missing (its ticket and indexes point nowhere)") {
    DropRaw(dir, "messages", EncodeU64(2));
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "ticket", "tickets/1"));
    CHECK(Reports(r, "source", "source_index/"));
    CHECK(Reports(r, "msgid", "msgid_index/m2@example.org"));
  }
  SECTION("a source index entry is missing") {
    DropRaw(dir, "source_index", store::detail::JoinKey("support", "imap:INBOX/7/3"));
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "source", "messages/3"));
  }
  SECTION("a Message-ID index entry is missing") {
    DropRaw(dir, "msgid_index", "m1@example.org", EncodeU64(1));
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "msgid", "messages/1"));
  }
  SECTION("a raw blob does not match its digest") {
    const std::string bad = std::string(1, '\0') + "Subject: 1\r\n\r\nbodY\r\n";
    store_test::PokeRaw(dir, "raw_blobs", EncodeU64(1), bad);
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "raw", "raw_blobs/1"));
  }
  SECTION("a message's raw bytes are gone") {
    const std::string raw = "Subject: 3\r\n\r\nbody\r\n";
    DropRaw(dir, "raw_index", *store::detail::HexToDigest(util::Sha256Hex(raw)));
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "raw", "messages/3"));
    CHECK(Reports(r, "raw", "raw_blobs/3"));  // now unreachable
  }
  SECTION("a raw blob no message references") {
    const std::string orphan = "Subject: orphan\r\n\r\n";
    store_test::PokeRaw(dir, "raw_index", *store::detail::HexToDigest(util::Sha256Hex(orphan)),
                        EncodeU64(77));
    store_test::PokeRaw(dir, "raw_blobs", EncodeU64(77), std::string(1, '\0') + orphan);
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "raw", "raw_index/"));
    CHECK(Reports(r, "counter", "meta/next_raw_seq"));
  }
  SECTION("a checkpoint behind the messages it should cover") {
    store_test::PokeRaw(dir, "sync", store::detail::JoinKey("support", "INBOX"),
                        store::detail::EncodeCheckpoint({7, 2, 1}));
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "sync", "sync/support/INBOX"));
  }
  SECTION("a record that does not decode") {
    store_test::PokeRaw(dir, "tickets", EncodeU64(2), "\xc1 not msgpack");
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "record", "tickets/2"));
  }
  SECTION("a counter behind the ids in use") {
    store_test::PokeRaw(dir, "meta", "next_ticket_id", EncodeU64(2));
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "counter", "meta/next_ticket_id"));
  }
  SECTION("a sealed secret that does not open") {
    store_test::PokeRaw(dir, "secrets", "refresh_token:support", std::string(40, '\x01'));
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "secret", "secrets/refresh_token:support"));
    // Without a key it is not checked, and says so.
    const auto unchecked = VerifyDir(dir, false);
    CHECK(unchecked.consistent());
    CHECK_THAT(unchecked.secrets, Catch::StartsWith("not checked"));
  }
  SECTION("an intake log entry names a ticket that is not stored") {
    store::IntakeLogRecord l;
    l.decision = "accepted";
    l.ticket_id = 42;
    store_test::PokeRaw(dir, "intake_log", EncodeU64(1), store::detail::EncodeIntakeLog(l));
    const auto r = VerifyDir(dir);
    INFO(Dump(r));
    CHECK(Reports(r, "reference", "intake_log/1"));
  }
}
