// The bundled support inbox through the whole pipeline, checked against
// fixtures/expected/support-inbox.json (written by hand with the fixtures).
#include "engine/replay.h"
#include "cli/views.h"
#include "tests/support/temp_store.h"
#include "util/sha256.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json LoadJson(const std::string& rel) {
  std::ifstream in(std::string(DESKMAIL_SOURCE_DIR) + "/" + rel);
  REQUIRE(in.good());
  return json::parse(in);
}

struct Replayed : test_support::TempStore {
  Replayed() : test_support::TempStore("deskmail-replay") {}
  engine::ReplayStats Run(const std::string& mailbox, unsigned workers = 2) {
    auto reader = engine::OpenMailbox(mailbox);
    REQUIRE(reader.ok());
    engine::ReplayOptions opts;
    opts.account = "support";
    opts.workers = workers;
    opts.batch_size = 16;  // several batches even for the small fixture
    problems.clear();
    auto stats = engine::Replay(*st, **reader, opts, recovery::IngestOptions{}, clock,
                                [&](const std::string& in, const std::string& what) {
                                  problems[fs::path(in).filename().string()] = what;
                                });
    REQUIRE(stats.ok());
    return *stats;
  }
  util::FakeClock clock{1795132800};  // 2026-11-20
  std::map<std::string, std::string> problems;
};

const std::string kInbox = std::string(DESKMAIL_SOURCE_DIR) + "/fixtures/support-inbox";

}  // namespace

TEST_CASE("the support inbox replays to the expected tickets") {
  json expected = LoadJson("fixtures/expected/support-inbox.json");
  const json& totals = expected["totals"];
  Replayed r;
  engine::ReplayStats s = r.Run(kInbox);

  CHECK(s.inputs == totals["files"].get<std::uint64_t>());
  CHECK(s.new_tickets == totals["tickets"].get<std::uint64_t>());
  CHECK(s.threaded == totals["threaded_replies"].get<std::uint64_t>());
  CHECK(s.ignored == totals["ignored_total"].get<std::uint64_t>());
  CHECK(s.unprocessable == totals["unprocessable"].get<std::uint64_t>());
  CHECK(s.unreadable == totals["skipped_empty"].get<std::uint64_t>());
  CHECK(s.stored() == totals["messages_stored"].get<std::uint64_t>());
  for (auto& [reason, n] : totals["ignored"].items()) {
    INFO(reason);
    CHECK(s.ignored_by_reason[reason] == n.get<std::uint64_t>());
  }

  // Per message: where it went, and what the parser read out of it.
  std::map<std::string, store::MessageRecord> by_file;
  REQUIRE(r.st->Read([&](store::ReadTxn& txn) {
                txn.ForEachMessage([&](const store::MessageRecord& head) {
                  // Replay source keys are content hashes: map back through the raw bytes.
                  store::MessageRecord m = *txn.GetMessage(head.id);
                  // The store keeps no copy of text that is the raw message's own.
                  if (m.text_in_raw) CHECK(m.body_text.empty());
                  auto text = cli::MessageText(txn, m);
                  REQUIRE(text.ok());
                  m.body_text = *text;
                  by_file[head.raw_sha256] = m;
                  return true;
                });
                return util::Status{};
              })
              .ok());
  std::map<std::string, std::uint64_t> label_to_ticket;
  for (const json& e : expected["messages"]) {
    const std::string file = e["file"];
    INFO(file);
    std::ifstream in(kInbox + "/" + file, std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto it = by_file.find(util::Sha256Hex(raw));
    if (!e["stored"].get<bool>()) {
      CHECK(it == by_file.end());
      CHECK(r.problems.count(fs::path(file).filename().string()) == 1);
      continue;
    }
    REQUIRE(it != by_file.end());
    const store::MessageRecord& m = it->second;
    CHECK(std::string(cli::DispositionName(m.disposition)) == e["disposition"].get<std::string>());
    if (e["thread"].is_string()) {
      REQUIRE(m.ticket_id != 0);
      auto [pos, fresh] = label_to_ticket.emplace(e["thread"].get<std::string>(), m.ticket_id);
      CHECK(pos->second == m.ticket_id);  // same label, same ticket
      CHECK(e["thread"].get<std::string>() == "T" + std::to_string(m.ticket_id));
    } else {
      CHECK(m.ticket_id == 0);
    }
    if (e.contains("subject_utf8") && e["subject_utf8"].is_string()) {
      CHECK(m.subject == e["subject_utf8"].get<std::string>());
    }
    if (e.contains("from") && e["from"].is_string() && e["disposition"] != "unprocessable") {
      // Stored addresses are lower-cased so lookups by requester are exact.
      std::string want = e["from"].get<std::string>();
      for (char& c : want) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      CHECK(m.from_address == want);
    }
    if (e.contains("body_contains") && e["body_contains"].is_string()) {
      CHECK_THAT(m.body_text, Catch::Contains(e["body_contains"].get<std::string>()));
    }
    if (e.contains("body_also_contains")) {
      for (const auto& b : e["body_also_contains"]) {
        CHECK_THAT(m.body_text, Catch::Contains(b.get<std::string>()));
      }
    }
    if (e.value("parse_errors_expected", false)) {
      CHECK_FALSE(m.parse_errors.empty());
    }
  }
  CHECK(label_to_ticket.size() == totals["tickets"].get<std::size_t>());
}

TEST_CASE("replaying the support inbox twice changes nothing") {
  Replayed r;
  r.Run(kInbox);
  std::uint64_t tickets = 0, messages = 0;
  REQUIRE(r.st->Read([&](store::ReadTxn& t) {
                tickets = t.TicketCount();
                messages = t.MessageCount();
                return util::Status{};
              })
              .ok());
  engine::ReplayStats again = r.Run(kInbox, 1);
  CHECK(again.new_tickets == 0);
  CHECK(again.threaded == 0);
  CHECK(again.duplicates == messages);
  REQUIRE(r.st->Read([&](store::ReadTxn& t) {
                CHECK(t.TicketCount() == tickets);
                CHECK(t.MessageCount() == messages);
                return util::Status{};
              })
              .ok());
}

TEST_CASE("ticket numbers do not depend on the number of parse workers") {
  Replayed one, two;
  one.Run(kInbox, 1);
  two.Run(kInbox, 4);
  std::vector<std::string> a, b;
  auto collect = [](store::Store& s, std::vector<std::string>& out) {
    REQUIRE(s.Read([&](store::ReadTxn& t) {
               t.ForEachTicket([&](const store::TicketRecord& rec) {
                 out.push_back(std::to_string(rec.id) + " " + rec.subject + " " +
                               std::to_string(rec.message_ids.size()));
                 return true;
               });
               return util::Status{};
             }).ok());
  };
  collect(*one.st, a);
  collect(*two.st, b);
  CHECK(a == b);
}
