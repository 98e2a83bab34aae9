// Helpers shared by the store tests: a fresh directory per test, opening a
// store, and raw LMDB access to plant bytes the API would never write.
#pragma once

#include <lmdb.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/schema.h"
#include "store/store.h"

namespace store_test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "deskmail-store-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) FAIL("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The store lives one level down so Open has to create its directory.
  std::string store() const { return path_ + "/store"; }

 private:
  std::string path_;
};

// `n` bytes that do not compress (the store packs raw mail with LZ4), so
// tests that must fill the map or the disk write what they think they do.
inline std::string Incompressible(std::size_t n, std::uint64_t seed) {
  std::string s(n, '\0');
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : s) {  // xorshift64
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x >> 56);
  }
  return s;
}

inline store::Options FastOptions() {
  store::Options o;
  o.initial_map_size = 4ull << 20;
  o.no_sync = true;
  return o;
}

inline std::unique_ptr<store::Store> OpenStore(const std::string& dir,
                                               const store::Options& opts = FastOptions()) {
  auto r = store::Store::Open(dir, opts);
  INFO((r ? std::string("ok") : r.status().ToString()));
  REQUIRE(r.ok());
  return std::move(r).value();
}

// Runs `fn` in a read transaction and requires it found no corruption.
template <class Fn>
void InRead(store::Store& st, Fn&& fn) {
  util::Status s = st.Read([&](store::ReadTxn& txn) {
    fn(txn);
    return txn.error();
  });
  INFO(s.ToString());
  REQUIRE(s.ok());
}

// Writes key -> value into the named database (created if absent) with
// plain LMDB calls.
// REQUIRES: no Store is open on `dir` in this process.
inline void PokeRaw(const std::string& dir, const char* db, std::string_view key,
                    std::string_view value) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  std::unique_ptr<MDB_env, void (*)(MDB_env*)> owner(env, mdb_env_close);
  REQUIRE(mdb_env_set_maxdbs(env, store::kDbCount) == 0);
  REQUIRE(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi dbi = 0;
  // An older schema's database that this store never had is made.
  int rc = mdb_dbi_open(txn, db, 0, &dbi);
  if (rc == MDB_NOTFOUND) rc = mdb_dbi_open(txn, db, MDB_CREATE, &dbi);
  REQUIRE(rc == 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{value.size(), const_cast<char*>(value.data())};
  rc = mdb_put(txn, dbi, &k, &v, 0);
  if (rc != 0) mdb_txn_abort(txn);
  REQUIRE(rc == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
}

// The value stored under key in the named database, read with plain LMDB
// calls as another tool would; nullopt when absent.
inline std::optional<std::string> PeekRaw(const std::string& dir, const char* db,
                                          std::string_view key) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  std::unique_ptr<MDB_env, void (*)(MDB_env*)> owner(env, mdb_env_close);
  REQUIRE(mdb_env_set_maxdbs(env, store::kDbCount) == 0);
  REQUIRE(mdb_env_open(env, dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0600) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
  std::unique_ptr<MDB_txn, void (*)(MDB_txn*)> txn_owner(txn, mdb_txn_abort);
  MDB_dbi dbi = 0;
  REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{};
  const int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  REQUIRE(rc == 0);
  return std::string(static_cast<char*>(v.mv_data), v.mv_size);
}

// Every field set to a non-default value, including bytes that are not
// UTF-8 and a negative date, so a codec that drops or mangles any field
// fails the round trip.
inline store::MessageRecord FullMessage(std::uint64_t id, std::string message_id = "a@b.example") {
  store::MessageRecord m;
  m.id = id;
  m.account = "support";
  m.source_key = "imap:INBOX/7/" + std::to_string(id);
  m.channel = "imap";
  m.message_id = std::move(message_id);
  m.in_reply_to = "parent@b.example";
  m.references = {"root@b.example", "parent@b.example"};
  m.raw_sha256 = std::string(64, 'c');
  m.raw_size = 12345;
  m.ticket_id = 9;
  m.disposition = store::Disposition::kRejected;
  m.classification = 3;
  m.reason = "not an allowed forwarder";
  m.parse_errors = {"bad charset", "truncated part"};
  m.from_name = "R\xc3\xa9mi \xff\xfe";  // UTF-8 then invalid bytes
  m.from_address = "remi@example.org";
  m.to = {"support@example.com", "other@example.com"};
  m.cc = {"cc@example.com"};
  m.subject = std::string("with\0nul", 8);
  m.date = -86400;
  m.received_at = 1700000000;
  m.body_text = std::string(3000, 'x');
  m.text_in_raw = true;
  m.attachments = {{"a.pdf", "application/pdf", 4096, std::string(64, 'd'), false},
                   {"logo.png", "image/png", 10, std::string(64, 'e'), true}};
  m.outage_id = 4;
  m.forwarder = "lead@example.com";
  return m;
}

inline store::TicketRecord FullTicket(std::uint64_t id) {
  store::TicketRecord t;
  t.id = id;
  t.account = "support";
  t.subject = "Printer on fire";
  t.requester_name = "Ann";
  t.requester_address = "ann@example.org";
  t.created_at = 1700000000;
  t.updated_at = -5;
  t.message_ids = {1, 300, UINT64_MAX};
  t.status = "closed";
  t.channel = "recovered_forward";
  t.outage_id = 2;
  t.forwarder = "lead@example.com";
  return t;
}

}  // namespace store_test
