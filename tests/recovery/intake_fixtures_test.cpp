// Every fixture of fixtures/intake/ through the intake rules, each received
// at its own Date (agents forward a few days after the original).
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "recovery/intake.h"
#include "tests/support/temp_store.h"

namespace fs = std::filesystem;

namespace {

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Run {
  std::map<std::string, recovery::Outcome> by_file;
  std::uint64_t tickets = 0, messages = 0, log = 0;
};

Run IntakeAll(store::Store& st, const nlohmann::json& cases) {
  recovery::IntakeOptions opts;
  opts.allowed_forwarders = {"@acme.example"};
  // These fixtures are about unwrapping every client's forward format, not
  // about who vouches for the forwarder (intake_test.cpp, forwarder_auth_test.cpp).
  opts.auth.require = recovery::ForwarderAuthLevel::kNone;
  opts.account_addresses = {{"support@acme.example", "support"}};
  Run r;
  for (const auto& c : cases) {
    const std::string file = c["file"];
    std::string raw = Slurp(fs::path(DESKMAIL_SOURCE_DIR) / "fixtures/intake" / file);
    auto outer = mime::Parse(raw);
    REQUIRE(outer.ok());
    std::int64_t received = outer->date.value_or(1795000000) + 3600;
    recovery::Source src{"intake", "", "intake", received};
    src.intake = true;
    src.input = file;
    auto p = recovery::Prepare(src, raw);
    REQUIRE(st.Write([&](store::WriteTxn& t) -> util::Status {
                auto o = recovery::File(t, p, opts);
                if (!o.ok()) return o.status();
                r.by_file[file] = *o;
                return util::Status{};
              }).ok());
  }
  REQUIRE(st.Read([&](store::ReadTxn& t) {
              r.tickets = t.TicketCount();
              r.messages = t.MessageCount();
              t.ForEachIntakeLog(0, [&](const store::IntakeLogRecord&) {
                ++r.log;
                return true;
              });
              return util::Status{};
            }).ok());
  return r;
}

}  // namespace

TEST_CASE("the intake fixtures: decisions, requesters, and a second pass changes nothing") {
  std::ifstream in(std::string(DESKMAIL_SOURCE_DIR) + "/fixtures/expected/intake.json");
  REQUIRE(in.good());
  const auto cases = nlohmann::json::parse(in)["cases"];
  test_support::TempStore tmp("deskmail-intakefx");
  store::Store* st = tmp.st.get();

  Run first = IntakeAll(*st, cases);
  std::map<std::string, int> decisions;
  for (const auto& c : cases) {
    const std::string file = c["file"];
    INFO(file);
    const recovery::Outcome& o = first.by_file[file];
    const std::string decision = recovery::IntakeDecisionName(o);
    INFO(o.detail);
    ++decisions[decision];
    if (!c["is_forward"].get<bool>()) {
      CHECK((decision == "not-forward" || decision == "unprocessable"));
    } else if (file == "stranger_forward.eml") {
      CHECK(decision == "unauthorized");
    } else if (file == "age_15_days.eml") {
      CHECK(decision == "rejected");
      CHECK_THAT(o.detail, Catch::Contains("15 days old"));
    } else {
      CHECK((decision == "accepted" || decision == "appended" || decision == "duplicate"));
      if (decision == "accepted") {
        REQUIRE(st->Read([&](store::ReadTxn& t) {
                    auto ticket = t.GetTicket(o.ticket_id);
                    REQUIRE(ticket);
                    CHECK(ticket->channel == "recovered_forward");
                    CHECK(ticket->requester_address ==
                          c["original"]["from"]["address"].get<std::string>());
                    return util::Status{};
                  }).ok());
      }
    }
  }
  for (const auto& [d, n] : decisions) std::printf("intake fixtures: %-12s %d\n", d.c_str(), n);
  CHECK(decisions["accepted"] > 40);
  CHECK(first.log == cases.size());

  Run second = IntakeAll(*st, cases);
  CHECK(second.tickets == first.tickets);
  CHECK(second.messages == first.messages);
  CHECK(second.log == first.log);
}
