#include "store/detail/codec.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "store/schema.h"
#include "tests/store/test_util.h"

namespace {

using nlohmann::json;
using store_test::FullMessage;
using store_test::FullTicket;

std::string Pack(const json& j) {
  std::vector<std::uint8_t> b = json::to_msgpack(j);
  return std::string(b.begin(), b.end());
}

TEST_CASE("codec: message round-trips every field but its text", "[codec]") {
  store::MessageRecord m = FullMessage(42);
  REQUIRE_FALSE(m.body_text.empty());
  const std::string bytes = store::detail::EncodeMessage(m);
  // The text lives in the bodies database, not in the record.
  CHECK(bytes.find(m.body_text) == std::string::npos);
  auto back = store::detail::DecodeMessage(bytes);
  REQUIRE(back.ok());
  m.body_text.clear();
  CHECK(*back == m);
}

TEST_CASE("codec: a version-1 message record still yields its inline text", "[codec]") {
  auto m = store::detail::DecodeMessage(
      Pack({{"v", 1}, {"id", 9}, {"s", "old"}, {"b", "text from schema 1"}}));
  REQUIRE(m.ok());
  CHECK(m->id == 9);
  CHECK(m->body_text == "text from schema 1");
}

TEST_CASE("codec: default message round-trips", "[codec]") {
  store::MessageRecord m;
  auto back = store::detail::DecodeMessage(store::detail::EncodeMessage(m));
  REQUIRE(back.ok());
  CHECK(*back == m);
}

TEST_CASE("codec: ticket, checkpoint and event round-trip", "[codec]") {
  const store::TicketRecord t = FullTicket(7);
  auto tb = store::detail::DecodeTicket(store::detail::EncodeTicket(t));
  REQUIRE(tb.ok());
  CHECK(*tb == t);

  const store::Checkpoint cp{UINT32_MAX, 123456, -1};
  auto cb = store::detail::DecodeCheckpoint(store::detail::EncodeCheckpoint(cp));
  REQUIRE(cb.ok());
  CHECK(*cb == cp);

  const store::Event ev{99, 1700000000, "ticket.created", R"({"ticket":7})"};
  auto eb = store::detail::DecodeEvent(99, store::detail::EncodeEvent(ev));
  REQUIRE(eb.ok());
  CHECK(*eb == ev);
}

TEST_CASE("codec: absent fields take their defaults", "[codec]") {
  auto m = store::detail::DecodeMessage(Pack({{"v", 1}, {"id", 5}, {"s", "hi"}}));
  REQUIRE(m.ok());
  CHECK(m->id == 5);
  CHECK(m->subject == "hi");
  CHECK(m->account.empty());
  CHECK(m->disposition == store::Disposition::kTicket);
  auto t = store::detail::DecodeTicket(Pack({{"v", 1}, {"id", 5}}));
  REQUIRE(t.ok());
  CHECK(t->status == "open");
}

TEST_CASE("codec: undecodable message values are corruption", "[codec]") {
  struct Case {
    const char* name;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"empty", ""},
      {"garbage", "\xc1\xc1\xc1"},
      {"truncated", store::detail::EncodeMessage(FullMessage(1)).substr(0, 20)},
      {"array", Pack(json::array({1, 2}))},
      {"no version", Pack({{"id", 1}})},
      {"version 0", Pack({{"v", 0}, {"id", 1}})},
      {"newer version", Pack({{"v", store::kMessageVersion + 1}, {"id", 1}})},
      {"string as number", Pack({{"v", 1}, {"id", "1"}})},
      {"number as string", Pack({{"v", 1}, {"s", 5}})},
      {"negative unsigned", Pack({{"v", 1}, {"rz", -1}})},
      {"list of numbers", Pack({{"v", 1}, {"to", json::array({1})}})},
      {"disposition out of range", Pack({{"v", 1}, {"d", 9}})},
      {"classification too big", Pack({{"v", 1}, {"cl", 300}})},
      {"attachment not a map", Pack({{"v", 1}, {"att", json::array({1})}})},
      {"attachment field type", Pack({{"v", 1}, {"att", json::array({json{{"z", "big"}}})}})},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto r = store::detail::DecodeMessage(c.bytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == util::Code::kCorruption);
    CHECK_THAT(r.status().message(), Catch::StartsWith("message record: "));
  }
}

TEST_CASE("codec: other record kinds reject bad values too", "[codec]") {
  CHECK(store::detail::DecodeTicket(Pack({{"v", 2}})).status().code() == util::Code::kCorruption);
  CHECK(store::detail::DecodeTicket(Pack({{"v", 1}, {"m", json::array({-3})}})).status().code() ==
        util::Code::kCorruption);
  CHECK(store::detail::DecodeCheckpoint(Pack({{"v", 1}, {"uv", 1ull << 32}})).status().code() ==
        util::Code::kCorruption);
  CHECK(store::detail::DecodeEvent(1, "x").status().code() == util::Code::kCorruption);
}

}  // namespace
