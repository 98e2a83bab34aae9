// ReadTxn/WriteTxn through a real store: records, indexes, checkpoints,
// events, iteration order and corrupt records.
#include <catch2/catch.hpp>

#include "store/detail/keys.h"
#include "store/store.h"
#include "tests/store/test_util.h"
#include "util/sha256.h"

namespace {

using store_test::FullMessage;
using store_test::FullTicket;
using store_test::InRead;
using store_test::OpenStore;
using store_test::TempDir;
using util::Code;
using util::Status;

// Stores messages with the given Message-IDs (ids allocated in order) and
// returns their ids.
std::vector<std::uint64_t> PutMessages(store::Store& st, const std::vector<std::string>& mids) {
  std::vector<std::uint64_t> ids;
  Status s = st.Write([&](store::WriteTxn& txn) {
    ids.clear();
    for (const std::string& mid : mids) {
      store::MessageRecord m = FullMessage(txn.AllocateMessageId(), mid);
      if (Status p = txn.PutMessage(m); !p.ok()) return p;
      ids.push_back(m.id);
    }
    return Status::Ok();
  });
  REQUIRE(s.ok());
  return ids;
}

TEST_CASE("txn: every record type round-trips through the store", "[txn]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  const std::string raw = "From: a@b\r\nSubject: hi\r\n\r\nbody\xff";
  store::MessageRecord msg;
  store::TicketRecord ticket;
  const store::Checkpoint cp{77, 1234, 1700000123};
  const std::string account_blob("\0opaque\xff", 8);
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              ticket = FullTicket(txn.AllocateTicketId());
              msg = FullMessage(txn.AllocateMessageId());
              msg.raw_sha256 = util::Sha256Hex(raw);
              for (Status s :
                   {txn.PutTicket(ticket), txn.PutMessage(msg), txn.PutRaw(msg.raw_sha256, raw),
                    txn.PutCheckpoint("support", "INBOX", cp),
                    txn.PutAccount("support", account_blob),
                    txn.AppendEvent(-7, "message.stored", R"({"id":1})")}) {
                if (!s.ok()) return s;
              }
              return Status::Ok();
            }).ok());
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.GetTicket(ticket.id) == ticket);
    CHECK(txn.GetMessage(msg.id) == msg);
    CHECK(txn.GetRaw(msg.raw_sha256) == raw);
    CHECK(txn.GetCheckpoint("support", "INBOX") == cp);
    CHECK(txn.GetAccount("support") == account_blob);
    std::vector<store::Event> events;
    txn.ForEachEvent(0, [&](const store::Event& e) { return events.push_back(e), true; });
    REQUIRE(events.size() == 1);
    CHECK(events[0] == store::Event{1, -7, "message.stored", R"({"id":1})"});
  });
}

TEST_CASE("txn: message text is stored apart and read back only by GetMessage", "[txn]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  store::MessageRecord msg;
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              msg = FullMessage(txn.AllocateMessageId());
              return txn.PutMessage(msg);
            }).ok());
  REQUIRE_FALSE(msg.body_text.empty());
  store::MessageRecord head = msg;
  head.body_text.clear();
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.GetMessage(msg.id) == msg);
    CHECK(txn.GetMessageHead(msg.id) == head);
    txn.ForEachMessage([&](const store::MessageRecord& m) {
      CHECK(m == head);
      return true;
    });
  });
  // A re-put with new text replaces it; one without text leaves none behind.
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              store::MessageRecord m = msg;
              m.body_text = "shorter";
              return txn.PutMessage(m);
            }).ok());
  InRead(*st, [&](store::ReadTxn& txn) { CHECK(txn.GetMessage(msg.id)->body_text == "shorter"); });
  REQUIRE(st->Write([&](store::WriteTxn& txn) { return txn.PutMessage(head); }).ok());
  InRead(*st, [&](store::ReadTxn& txn) { CHECK(txn.GetMessage(msg.id) == head); });
}

TEST_CASE("txn: lookups that miss return nothing", "[txn]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK_FALSE(txn.GetMessage(1));
    CHECK_FALSE(txn.GetTicket(1));
    CHECK_FALSE(txn.FindBySource("support", "imap:INBOX/1/1"));
    CHECK(txn.FindByMessageId("x@y").empty());
    CHECK(txn.FindByMessageId("").empty());
    CHECK_FALSE(txn.GetRaw(util::Sha256Hex("nothing")));
    CHECK_FALSE(txn.GetRaw("not hex"));
    CHECK_FALSE(txn.GetCheckpoint("support", "INBOX"));
    CHECK_FALSE(txn.GetAccount("support"));
    CHECK_FALSE(txn.GetAccount(""));
    CHECK(txn.TicketCount() == 0);
    CHECK(txn.MessageCount() == 0);
  });
}

TEST_CASE("txn: raw bytes are content-addressed", "[txn]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  const std::string raw = "the bytes";
  const std::string hex = util::Sha256Hex(raw);
  REQUIRE(st->Write([&](store::WriteTxn& txn) { return txn.PutRaw(hex, raw); }).ok());
  // A second put of the same digest is a no-op, whatever it carries.
  REQUIRE(st->Write([&](store::WriteTxn& txn) { return txn.PutRaw(hex, "other"); }).ok());
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.GetRaw(hex) == raw);
    std::string upper = hex;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(txn.GetRaw(upper) == raw);
  });
  Status s = st->Write([&](store::WriteTxn& txn) { return txn.PutRaw("abc", raw); });
  CHECK(s.code() == Code::kInvalidArgument);
}

TEST_CASE("txn: the Message-ID index lists every holder, oldest first", "[txn]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  const std::string long_a = std::string(700, 'x') + "@a";
  const std::string long_b = std::string(700, 'x') + "@b";
  auto ids = PutMessages(*st, {"shared@x", "other@x", "shared@x", "", "shared@x", long_a, long_b});
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.FindByMessageId("shared@x") == std::vector<std::uint64_t>{ids[0], ids[2], ids[4]});
    CHECK(txn.FindByMessageId("other@x") == std::vector<std::uint64_t>{ids[1]});
    CHECK(txn.FindByMessageId("").empty());
    CHECK(txn.FindByMessageId("shared@").empty());
    CHECK(txn.FindByMessageId(long_a) == std::vector<std::uint64_t>{ids[5]});
    CHECK(txn.FindByMessageId(long_b) == std::vector<std::uint64_t>{ids[6]});
  });

  // Re-putting a record with a new Message-ID moves its index entry; a
  // re-put with the same one does not duplicate it.
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              auto m = txn.GetMessage(ids[2]);
              REQUIRE(m);
              m->message_id = "other@x";
              if (Status s = txn.PutMessage(*m); !s.ok()) return s;
              return txn.PutMessage(*m);
            }).ok());
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.FindByMessageId("shared@x") == std::vector<std::uint64_t>{ids[0], ids[4]});
    CHECK(txn.FindByMessageId("other@x") == std::vector<std::uint64_t>{ids[1], ids[2]});
  });
}

TEST_CASE("txn: the source index maps (account, source key) to one message", "[txn]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  std::uint64_t first = 0;
  std::uint64_t second = 0;
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              store::MessageRecord a = FullMessage(txn.AllocateMessageId());
              a.source_key = "imap:INBOX/7/100";
              store::MessageRecord b = FullMessage(txn.AllocateMessageId());
              b.account = "sales";
              b.source_key = "imap:INBOX/7/100";  // same key, other account
              first = a.id;
              second = b.id;
              if (Status s = txn.PutMessage(a); !s.ok()) return s;
              return txn.PutMessage(b);
            }).ok());
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.FindBySource("support", "imap:INBOX/7/100") == first);
    CHECK(txn.FindBySource("sales", "imap:INBOX/7/100") == second);
    CHECK_FALSE(txn.FindBySource("support", "imap:INBOX/7/101"));
    CHECK_FALSE(txn.FindBySource("support", "imap:INBOX/7/10"));
  });

  // The re-delivery guard: a second message may not claim a used key.
  Status dup = st->Write([&](store::WriteTxn& txn) {
    store::MessageRecord c = FullMessage(txn.AllocateMessageId());
    c.source_key = "imap:INBOX/7/100";
    return txn.PutMessage(c);
  });
  CHECK(dup.code() == Code::kInvalidArgument);
  CHECK_THAT(dup.message(), Catch::Contains("already message " + std::to_string(first)));

  // Changing a record's source key drops the old index entry.
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              auto m = txn.GetMessage(first);
              REQUIRE(m);
              m->source_key = "imap:Archive/9/1";
              return txn.PutMessage(*m);
            }).ok());
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK_FALSE(txn.FindBySource("support", "imap:INBOX/7/100"));
    CHECK(txn.FindBySource("support", "imap:Archive/9/1") == first);
  });
}

TEST_CASE("txn: checkpoints are per account and folder", "[txn]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  struct Case {
    std::string account;
    std::string folder;
    store::Checkpoint cp;
  };
  const std::vector<Case> cases = {
      {"support", "INBOX", {1, 10, 100}},
      {"support", "Archive", {2, 20, 200}},
      {"sales", "INBOX", {3, 30, 300}},
      {"support", std::string(600, 'f'), {4, 40, 400}},
  };
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              for (const Case& c : cases) {
                if (Status s = txn.PutCheckpoint(c.account, c.folder, c.cp); !s.ok()) return s;
              }
              return Status::Ok();
            }).ok());
  InRead(*st, [&](store::ReadTxn& txn) {
    for (const Case& c : cases) {
      INFO(c.account << "/" << c.folder.substr(0, 20));
      CHECK(txn.GetCheckpoint(c.account, c.folder) == c.cp);
    }
    CHECK_FALSE(txn.GetCheckpoint("sales", "Archive"));
  });
  // Later checkpoints replace earlier ones.
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              return txn.PutCheckpoint("support", "INBOX", {1, 11, 101});
            }).ok());
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.GetCheckpoint("support", "INBOX") == store::Checkpoint{1, 11, 101});
  });
  Status s = st->Write([&](store::WriteTxn& txn) {
    return txn.PutCheckpoint(std::string("bad\0name", 8), "INBOX", {});
  });
  CHECK(s.code() == Code::kInvalidArgument);
}

TEST_CASE("txn: events iterate in order from a given seq", "[txn]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  for (int batch = 0; batch < 2; ++batch) {
    REQUIRE(st->Write([&](store::WriteTxn& txn) {
                for (int i = 0; i < 150; ++i) {
                  const int n = batch * 150 + i + 1;
                  Status s = txn.AppendEvent(n * 10, "e", "{\"n\":" + std::to_string(n) + "}");
                  if (!s.ok()) return s;
                }
                return Status::Ok();
              }).ok());
  }
  struct Case {
    std::uint64_t after;
    std::size_t limit;
    std::vector<std::uint64_t> want_first_last;  // {first, last} or {}
    std::size_t want_count;
  };
  const std::vector<Case> cases = {
      {0, 1000, {1, 300}, 300}, {255, 1000, {256, 300}, 45}, {299, 1000, {300, 300}, 1},
      {300, 1000, {}, 0},       {UINT64_MAX, 1000, {}, 0},   {10, 3, {11, 13}, 3},
  };
  InRead(*st, [&](store::ReadTxn& txn) {
    for (const Case& c : cases) {
      INFO("after " << c.after << " limit " << c.limit);
      std::vector<store::Event> got;
      txn.ForEachEvent(c.after, [&](const store::Event& e) {
        got.push_back(e);
        return got.size() < c.limit;
      });
      CHECK(got.size() == c.want_count);
      for (std::size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].seq == c.after + 1 + i);
        CHECK(got[i].at == static_cast<std::int64_t>(got[i].seq * 10));
        CHECK(got[i].data_json == "{\"n\":" + std::to_string(got[i].seq) + "}");
      }
      if (!c.want_first_last.empty()) {
        REQUIRE_FALSE(got.empty());
        CHECK(got.front().seq == c.want_first_last[0]);
        CHECK(got.back().seq == c.want_first_last[1]);
      }
    }
  });
  for (const char* bad : {"", "[1]", "{\"unterminated\":", "42", "{}{}", " [] ", "\"{\"", "{} x"}) {
    INFO(bad);
    Status s = st->Write([&](store::WriteTxn& txn) { return txn.AppendEvent(0, "e", bad); });
    CHECK(s.code() == Code::kInvalidArgument);
  }
}

TEST_CASE("txn: tickets and messages iterate in id order past 255", "[txn]") {
  TempDir tmp;
  auto st = OpenStore(tmp.store());
  REQUIRE(st->Write([&](store::WriteTxn& txn) {
              for (int i = 0; i < 300; ++i) {
                store::TicketRecord t;
                t.id = txn.AllocateTicketId();
                if (Status s = txn.PutTicket(t); !s.ok()) return s;
              }
              return Status::Ok();
            }).ok());
  PutMessages(*st, std::vector<std::string>(270, "same@x"));
  InRead(*st, [&](store::ReadTxn& txn) {
    CHECK(txn.TicketCount() == 300);
    CHECK(txn.MessageCount() == 270);
    std::uint64_t want = 1;
    txn.ForEachTicket([&](const store::TicketRecord& t) {
      CHECK(t.id == want++);
      return true;
    });
    CHECK(want == 301);
    want = 1;
    txn.ForEachMessage([&](const store::MessageRecord& m) {
      CHECK(m.id == want++);
      return m.id < 260;  // stop early
    });
    CHECK(want == 261);
    CHECK(txn.FindByMessageId("same@x").size() == 270);
  });
}

TEST_CASE("txn: raw mail and text are stored packed, and damage reads as missing", "[txn]") {
  TempDir tmp;
  std::string mail = "From: a@b.example\r\nSubject: jam\r\n\r\n";
  for (int i = 0; i < 300; ++i) mail += "The printer jams on every page, again.\r\n";
  const std::string sha = util::Sha256Hex(mail);
  const std::string digest = *store::detail::HexToDigest(sha);
  std::uint64_t id = 0;
  {
    auto st = OpenStore(tmp.store());
    REQUIRE(st->Write([&](store::WriteTxn& txn) {
                store::MessageRecord m = FullMessage(txn.AllocateMessageId());
                id = m.id;
                m.body_text = mail;
                if (Status s = txn.PutRaw(sha, mail); !s.ok()) return s;
                return txn.PutMessage(m);
              }).ok());
  }
  // On disk: the digest names a sequence number, which keys a format byte,
  // the size and an LZ4 block, much smaller than the mail.
  const std::string seq = store_test::PeekRaw(tmp.store(), "raw_index", digest).value_or("");
  CHECK(store::detail::DecodeU64(seq) == 1u);
  const std::string on_disk = store_test::PeekRaw(tmp.store(), "raw_blobs", seq).value_or("");
  REQUIRE(on_disk.size() > 1);
  CHECK(on_disk[0] == '\x01');
  CHECK(on_disk.size() < mail.size() / 4);

  // A flipped byte in the raw mail is caught by its SHA-256 (LZ4 has no
  // checksum); a cut body by its size.
  std::string flipped = on_disk;
  flipped[flipped.size() / 2] ^= 0x20;
  store_test::PokeRaw(tmp.store(), "raw_blobs", seq, flipped);
  store_test::PokeRaw(tmp.store(), "bodies", store::detail::EncodeU64(id),
                      on_disk.substr(0, on_disk.size() - 3));
  auto st = OpenStore(tmp.store());
  Status s = st->Read([&](store::ReadTxn& txn) {
    CHECK_FALSE(txn.GetRaw(sha));
    CHECK_FALSE(txn.GetMessage(id));
    CHECK(txn.GetMessageHead(id));  // the record itself is fine
    return txn.error();
  });
  CHECK(s.code() == Code::kCorruption);
  CHECK_THAT(s.message(), Catch::StartsWith("raw_blobs/1 (sha256 " + sha + "): "));
}

TEST_CASE("txn: a corrupt record reads as missing and is reported", "[txn]") {
  TempDir tmp;
  std::vector<std::uint64_t> ids;
  {
    auto st = OpenStore(tmp.store());
    ids = PutMessages(*st, {"a@x", "b@x", "c@x"});
  }
  store_test::PokeRaw(tmp.store(), "messages", store::detail::EncodeU64(ids[1]), "\x93garbage");
  auto st = OpenStore(tmp.store());
  Status s = st->Read([&](store::ReadTxn& txn) {
    CHECK(txn.GetMessage(ids[0]));
    CHECK(txn.error().ok());
    CHECK_FALSE(txn.GetMessage(ids[1]));
    std::vector<std::uint64_t> seen;
    txn.ForEachMessage([&](const store::MessageRecord& m) { return seen.push_back(m.id), true; });
    CHECK(seen == std::vector<std::uint64_t>{ids[0], ids[2]});
    return txn.error();
  });
  CHECK(s.code() == Code::kCorruption);
  CHECK_THAT(s.message(), Catch::StartsWith("messages/" + std::to_string(ids[1]) + ": "));
}

}  // namespace
