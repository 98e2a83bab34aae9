// Store::Open, Write and Read: lifecycle, id allocation, aborts, schema
// version and map growth, on a real LMDB in a fresh directory per test.
#include "store/store.h"

#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/detail/keys.h"
#include "store/schema.h"
#include "tests/store/test_util.h"
#include "util/sha256.h"

namespace {

using store_test::FastOptions;
using store_test::FullMessage;
using store_test::FullTicket;
using store_test::InRead;
using store_test::OpenStore;
using store_test::TempDir;
using util::Code;
using util::Status;

struct Ids {
  std::uint64_t ticket = 0;
  std::uint64_t message = 0;
};

// Allocates one ticket and one message id and stores both records.
Status PutPair(store::WriteTxn& txn, Ids& ids) {
  ids.ticket = txn.AllocateTicketId();
  ids.message = txn.AllocateMessageId();
  store::TicketRecord t = FullTicket(ids.ticket);
  store::MessageRecord m = FullMessage(ids.message, "m" + std::to_string(ids.message));
  m.ticket_id = ids.ticket;
  if (Status s = txn.PutTicket(t); !s.ok()) return s;
  if (Status s = txn.PutMessage(m); !s.ok()) return s;
  return txn.AppendEvent(1, "ticket.created", "{}");
}

TEST_CASE("open: creates the directory with mode 0700", "[store]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  struct stat sb {};
  REQUIRE(stat(tmp.store().c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0700);
  CHECK(st->dir() == tmp.store());
  CHECK(st->map_size() >= FastOptions().initial_map_size);
}

TEST_CASE("write: ids allocate 1, 2, 3 across writes", "[store]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  for (std::uint64_t want = 1; want <= 3; ++want) {
    Ids ids;
    REQUIRE(st->Write([&](store::WriteTxn& txn) { return PutPair(txn, ids); }).ok());
    CHECK(ids.ticket == want);
    CHECK(ids.message == want);
  }
  std::vector<std::uint64_t> seqs;
  REQUIRE(st->Read([&](store::ReadTxn& txn) {
              txn.ForEachEvent(0, [&](const store::Event& e) {
                seqs.push_back(e.seq);
                return true;
              });
              return Status::Ok();
            }).ok());
  CHECK(seqs == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("write: an aborted write leaves nothing and gives its ids back", "[store]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  Ids first;
  REQUIRE(st->Write([&](store::WriteTxn& txn) { return PutPair(txn, first); }).ok());

  Ids doomed;
  const std::string raw = "Subject: never\r\n\r\nbody";
  Status s = st->Write([&](store::WriteTxn& txn) {
    if (Status p = PutPair(txn, doomed); !p.ok()) return p;
    if (Status p = txn.PutRaw(util::Sha256Hex(raw), raw); !p.ok()) return p;
    if (Status p = txn.PutCheckpoint("support", "INBOX", {1, 2, 3}); !p.ok()) return p;
    if (Status p = txn.PutAccount("support", "state"); !p.ok()) return p;
    return util::Error(Code::kTransient, "caller changed its mind");
  });
  CHECK(s.code() == Code::kTransient);
  CHECK(s.message() == "caller changed its mind");
  CHECK(doomed.ticket == 2);
  CHECK(doomed.message == 2);
  // The aborted raw mail gave its sequence number back: the next is appended
  // under it.
  const std::string next = "Subject: kept\r\n\r\nbody";
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              return txn.PutRaw(util::Sha256Hex(next), next);
            }).ok());

  REQUIRE(st->Read([&](store::ReadTxn& txn) {
              CHECK(txn.TicketCount() == 1);
              CHECK(txn.MessageCount() == 1);
              CHECK_FALSE(txn.GetTicket(doomed.ticket));
              CHECK_FALSE(txn.GetMessage(doomed.message));
              CHECK(txn.FindByMessageId("m2").empty());
              CHECK_FALSE(txn.GetRaw(util::Sha256Hex(raw)));
              CHECK(txn.GetRaw(util::Sha256Hex(next)) == next);
              CHECK_FALSE(txn.GetCheckpoint("support", "INBOX"));
              CHECK_FALSE(txn.GetAccount("support"));
              int events = 0;
              txn.ForEachEvent(0, [&](const store::Event&) { return ++events, true; });
              CHECK(events == 1);
              return Status::Ok();
            }).ok());

  Ids again;
  REQUIRE(st->Write([&](store::WriteTxn& txn) { return PutPair(txn, again); }).ok());
  CHECK(again.ticket == 2);
  CHECK(again.message == 2);
}

TEST_CASE("write: puts refuse ids that were never allocated", "[store]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  Status s = st->Write([&](store::WriteTxn& txn) { return txn.PutMessage(FullMessage(1)); });
  CHECK(s.code() == Code::kInvalidArgument);
  s = st->Write([&](store::WriteTxn& txn) { return txn.PutTicket(FullTicket(0)); });
  CHECK(s.code() == Code::kInvalidArgument);
}

TEST_CASE("open: data survives close and reopen", "[store]") {
  TempDir tmp;
  Ids ids;
  {
    auto st = OpenStore(tmp.store());
    REQUIRE(st->Write([&](store::WriteTxn& txn) { return PutPair(txn, ids); }).ok());
  }
  auto st = OpenStore(tmp.store());
  REQUIRE(st->Read([&](store::ReadTxn& txn) {
              auto t = txn.GetTicket(ids.ticket);
              REQUIRE(t);
              CHECK(*t == FullTicket(ids.ticket));
              auto m = txn.GetMessage(ids.message);
              REQUIRE(m);
              CHECK(m->ticket_id == ids.ticket);
              return Status::Ok();
            }).ok());
  Ids next;
  REQUIRE(st->Write([&](store::WriteTxn& txn) { return PutPair(txn, next); }).ok());
  CHECK(next.ticket == 2);
}

TEST_CASE("open: a fresh store is stamped with the schema version", "[store]") {
  TempDir tmp;
  OpenStore(tmp.store()).reset();
  // Read it back with plain LMDB, as another tool would.
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  std::unique_ptr<MDB_env, void (*)(MDB_env*)> owner(env, mdb_env_close);
  REQUIRE(mdb_env_set_maxdbs(env, store::kDbCount) == 0);
  REQUIRE(mdb_env_open(env, tmp.store().c_str(), MDB_RDONLY, 0600) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
  MDB_dbi meta = 0;
  CHECK(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
  MDB_val k{14, const_cast<char*>("schema_version")};
  MDB_val v{};
  REQUIRE(mdb_get(txn, meta, &k, &v) == 0);
  CHECK(store::detail::DecodeU64(std::string_view(static_cast<char*>(v.mv_data), v.mv_size)) ==
        store::kSchemaVersion);
  for (std::string_view name : store::kDbNames) {
    INFO(name);
    MDB_dbi dbi = 0;
    // Older schemas' raw databases are only read, never created.
    const bool legacy =
        name == store::DbName(store::Db::kRawV1) || name == store::DbName(store::Db::kRawV2);
    CHECK(mdb_dbi_open(txn, std::string(name).c_str(), 0, &dbi) == (legacy ? MDB_NOTFOUND : 0));
  }
  mdb_txn_abort(txn);
}

TEST_CASE("open: a store from a newer deskmail is refused", "[store]") {
  TempDir tmp;
  OpenStore(tmp.store()).reset();
  store_test::PokeRaw(tmp.store(), "meta", store::kMetaSchemaVersion,
                      store::detail::EncodeU64(store::kSchemaVersion + 1));
  for (bool read_only : {false, true}) {
    INFO("read_only " << read_only);
    store::Options o = FastOptions();
    o.read_only = read_only;
    auto r = store::Store::Open(tmp.store(), o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kCorruption);
    CHECK_THAT(r.status().message(),
               Catch::Contains("schema version " + std::to_string(store::kSchemaVersion + 1) +
                               " is newer"));
    CHECK_THAT(r.status().message(), Catch::Contains(tmp.store()));
  }
}

TEST_CASE("open: a schema-1 store is read as it is and upgraded by a writable open", "[store]") {
  TempDir tmp;
  std::uint64_t id = 0;
  {
    auto st = OpenStore(tmp.store());
    REQUIRE(st->Write([&](store::WriteTxn& txn) {
                id = txn.AllocateMessageId();
                return Status::Ok();
              }).ok());
  }
  // What deskmail 1 wrote: the text inside the record, no bodies database entry.
  const std::vector<std::uint8_t> v1 = nlohmann::json::to_msgpack(
      {{"v", 1}, {"id", id}, {"a", "support"}, {"s", "old"}, {"b", "text kept inline"}});
  store_test::PokeRaw(tmp.store(), "messages", store::detail::EncodeU64(id),
                      std::string(v1.begin(), v1.end()));
  store_test::PokeRaw(tmp.store(), "meta", store::kMetaSchemaVersion, store::detail::EncodeU64(1));
  // And its raw mail as it came, unpacked, in `raw`.
  const std::string mail = "From: a@b.example\r\nSubject: old\r\n\r\ntext kept inline\r\n";
  store_test::PokeRaw(tmp.store(), "raw", *store::detail::HexToDigest(util::Sha256Hex(mail)), mail);
  auto schema_version = [&] {
    {
      store::Options o = FastOptions();
      o.read_only = true;
      auto st = OpenStore(tmp.store(), o);
      REQUIRE(st->Read([&](store::ReadTxn& txn) {
                  CHECK(txn.GetMessage(id)->body_text == "text kept inline");
                  CHECK(txn.GetRaw(util::Sha256Hex(mail)) == mail);
                  return txn.error();
                }).ok());
    }
    // Read the stamp as another tool would (no Store open: LMDB allows one
    // environment per file in a process).
    auto stamp = store_test::PeekRaw(tmp.store(), "meta", store::kMetaSchemaVersion);
    REQUIRE(stamp);
    return store::detail::DecodeU64(*stamp).value_or(0);
  };
  CHECK(schema_version() == 1);  // read-only opens change nothing
  {
    auto st = OpenStore(tmp.store());
    // Re-putting an old record moves its text into the bodies database.
    REQUIRE(st->Write([&](store::WriteTxn& txn) {
                auto m = txn.GetMessage(id);
                REQUIRE(m);
                return txn.PutMessage(*m);
              }).ok());
  }
  CHECK(schema_version() == store::kSchemaVersion);
}

TEST_CASE("open: a schema-2 store's raw mail is read where it is, and not stored twice",
          "[store]") {
  TempDir tmp;
  OpenStore(tmp.store()).reset();
  // What deskmail 2 wrote: raw mail packed, keyed by its digest, in raw_packed.
  const std::string mail = "From: a@b.example\r\nSubject: old\r\n\r\n" + std::string(500, 'x');
  const std::string sha = util::Sha256Hex(mail);
  store_test::PokeRaw(tmp.store(), "meta", store::kMetaSchemaVersion, store::detail::EncodeU64(2));
  store_test::PokeRaw(tmp.store(), "raw_packed", *store::detail::HexToDigest(sha),
                      store::PackedBlob::Pack(mail).stored());
  {
    store::Options o = FastOptions();
    o.read_only = true;
    auto st = OpenStore(tmp.store(), o);
    InRead(*st, [&](store::ReadTxn& txn) { CHECK(txn.GetRaw(sha) == mail); });
  }
  {
    auto st = OpenStore(tmp.store());
    REQUIRE(st->Write([&](store::WriteTxn& txn) { return txn.PutRaw(sha, mail); }).ok());
    InRead(*st, [&](store::ReadTxn& txn) { CHECK(txn.GetRaw(sha) == mail); });
  }
  CHECK(store::detail::DecodeU64(
            store_test::PeekRaw(tmp.store(), "meta", store::kMetaSchemaVersion).value_or("")) ==
        store::kSchemaVersion);
  // The put found the old copy: nothing new in the schema-3 databases.
  CHECK_FALSE(store_test::PeekRaw(tmp.store(), "raw_index", *store::detail::HexToDigest(sha)));
  CHECK_FALSE(store_test::PeekRaw(tmp.store(), "raw_blobs", store::detail::EncodeU64(1)));
}

TEST_CASE("open: read-only open of a missing store is a clear error", "[store]") {
  TempDir tmp;
  store::Options o = FastOptions();
  o.read_only = true;
  auto r = store::Store::Open(tmp.store(), o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kNotFound);
  CHECK_THAT(r.status().message(), Catch::Contains(tmp.store()));
  CHECK_THAT(r.status().message(), Catch::Contains("does not exist"));
  CHECK_FALSE(std::filesystem::exists(tmp.store()));

  r = store::Store::Open(tmp.path(), o);  // exists, but holds no store
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kNotFound);
  CHECK_THAT(r.status().message(), Catch::Contains("data.mdb"));
}

TEST_CASE("open: a read-only store refuses writes", "[store]") {
  TempDir tmp;
  OpenStore(tmp.store()).reset();
  store::Options o = FastOptions();
  o.read_only = true;
  auto st = OpenStore(tmp.store(), o);
  bool ran = false;
  Status s = st->Write([&](store::WriteTxn&) { return ran = true, Status::Ok(); });
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK_FALSE(ran);
  CHECK(st->Read([](store::ReadTxn& txn) {
            return txn.TicketCount() == 0 ? Status::Ok() : util::Error(Code::kInternal, "count");
          }).ok());
}

TEST_CASE("map: the map grows until a 20 MB write fits", "[store]") {
  TempDir tmp;
  store::Options o = FastOptions();
  o.initial_map_size = 1ull << 20;
  auto st = OpenStore(tmp.store(), o);
  const std::uint64_t before = st->map_size();

  std::vector<std::string> raws;
  for (int i = 0; i < 20; ++i) raws.push_back(store_test::Incompressible(1 << 20, i));
  int runs = 0;
  Status s = st->Write([&](store::WriteTxn& txn) {
    ++runs;
    for (const std::string& raw : raws) {
      // Statuses ignored on purpose: Write must notice MAP_FULL anyway.
      (void)txn.PutRaw(util::Sha256Hex(raw), raw);
      store::MessageRecord m = FullMessage(txn.AllocateMessageId(), "");
      m.raw_sha256 = util::Sha256Hex(raw);
      (void)txn.PutMessage(m);
    }
    return Status::Ok();
  });
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(runs > 1);
  CHECK(st->map_size() > before);
  CHECK(st->map_size() >= 20ull << 20);

  REQUIRE(st->Read([&](store::ReadTxn& txn) {
              CHECK(txn.MessageCount() == 20);
              std::uint64_t id = 0;
              txn.ForEachMessage([&](const store::MessageRecord& m) {
                ++id;
                CHECK(m.id == id);  // reruns gave the aborted ids back
                auto raw = txn.GetRaw(m.raw_sha256);
                REQUIRE(raw);
                CHECK(*raw == raws[id - 1]);
                return true;
              });
              CHECK(id == 20);
              return Status::Ok();
            }).ok());

  // A reopen keeps the data even with the small initial size.
  st.reset();
  st = OpenStore(tmp.store(), o);
  CHECK(st->Read([&](store::ReadTxn& txn) {
            return txn.MessageCount() == 20 ? Status::Ok() : util::Error(Code::kInternal, "lost");
          }).ok());
}

TEST_CASE("map: reaching max_map_size is an I/O error and the store stays usable", "[store]") {
  TempDir tmp;
  store::Options o = FastOptions();
  o.initial_map_size = 1ull << 20;
  o.max_map_size = 2ull << 20;
  auto st = OpenStore(tmp.store(), o);
  const std::string big = store_test::Incompressible(3 << 20, 3);
  Status s = st->Write([&](store::WriteTxn& txn) {
    (void)txn.PutAccount("small", "kept?");
    return txn.PutRaw(util::Sha256Hex(big), big);
  });
  CHECK(s.code() == Code::kIOError);
  CHECK_THAT(s.message(), Catch::Contains("put raw_blobs/1 (sha256 " + util::Sha256Hex(big) + ")"));
  CHECK_THAT(s.message(), Catch::Contains("MDB_MAP_FULL"));
  CHECK(st->map_size() == o.max_map_size);

  REQUIRE(st->Write([&](store::WriteTxn& txn) { return txn.PutAccount("a", "b"); }).ok());
  REQUIRE(st->Read([&](store::ReadTxn& txn) {
              CHECK(txn.GetAccount("a") == std::optional<std::string>("b"));
              CHECK_FALSE(txn.GetAccount("small"));
              CHECK_FALSE(txn.GetRaw(util::Sha256Hex(big)));
              return Status::Ok();
            }).ok());
}

TEST_CASE("map: readers on other threads run while the writer grows the map", "[store]") {
  TempDir tmp;
  store::Options o = FastOptions();
  o.initial_map_size = 1ull << 20;
  auto st = OpenStore(tmp.store(), o);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        Status s = st->Read([&](store::ReadTxn& txn) {
          // Each committed write adds a ticket and its message together.
          if (txn.TicketCount() != txn.MessageCount()) ++bad;
          return Status::Ok();
        });
        if (!s.ok()) ++bad;
        ++reads;
      }
    });
  }
  for (int i = 0; i < 12; ++i) {
    const std::string raw = store_test::Incompressible(256 << 10, i);
    Ids ids;
    Status s = st->Write([&](store::WriteTxn& txn) {
      if (Status p = PutPair(txn, ids); !p.ok()) return p;
      return txn.PutRaw(util::Sha256Hex(raw), raw);
    });
    CHECK(s.ok());
  }
  done = true;
  for (std::thread& t : readers) t.join();
  CHECK(bad == 0);
  CHECK(reads > 0);
  CHECK(st->map_size() > o.initial_map_size);
  // A rerun after growth appends its raw mail again under the same numbers.
  InRead(*st, [&](store::ReadTxn& txn) {
    for (int i = 0; i < 12; ++i) {
      const std::string raw = store_test::Incompressible(256 << 10, i);
      CHECK(txn.GetRaw(util::Sha256Hex(raw)) == raw);
    }
  });
}

}  // namespace

TEST_CASE("raw: shared and compressed packed mail is stored whole and read back", "[store]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  // Kept as it is (written into LMDB's page behind its format byte) and
  // LZ4-packed: both come back byte for byte and pass verify's digest check.
  const std::string plain = store_test::Incompressible(2 << 20, 11);
  std::string text;
  while (text.size() < (2u << 20)) text += "Line: the printer on floor 3 jams on every page.\r\n";
  const util::Bytes plain_bytes(plain);
  const store::PackedBlob a = store::PackedBlob::PackShared(plain_bytes);
  const store::PackedBlob b = store::PackedBlob::PackShared(util::Bytes(text));
  REQUIRE_FALSE(a.compressed());
  REQUIRE(b.compressed());
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              if (auto s = txn.PutRaw(util::Sha256Hex(plain), a); !s.ok()) return s;
              return txn.PutRaw(util::Sha256Hex(text), b);
            }).ok());
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.GetRaw(util::Sha256Hex(plain)) == plain);
    CHECK(txn.GetRaw(util::Sha256Hex(text)) == text);
  });
  CHECK(store_test::PeekRaw(tmp.store(), "raw_blobs", store::detail::EncodeU64(1))->size() ==
        plain.size() + 1);
}
