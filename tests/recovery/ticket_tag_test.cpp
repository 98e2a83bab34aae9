#include "recovery/ticket_tag.h"

#include <catch2/catch.hpp>

TEST_CASE("default ticket tag is found anywhere in the subject") {
  recovery::TicketTag tag;
  struct Case {
    const char* subject;
    std::uint64_t want;  // 0 = none
  };
  const Case cases[] = {
      {"Re: [#3] Printer jams", 3},
      {"RE: Printer jams [#17]", 17},
      {"AW: [#12345] Rechnung", 12345},
      {"[#] empty", 0},
      {"[#0] zero is not a ticket", 0},
      {"[#12 no close", 0},
      {"# 12] nothing", 0},
      {"[#x][#8] second one counts", 8},
      {"Order #55 arrived", 0},
      {"", 0},
  };
  for (const auto& c : cases) {
    INFO(c.subject);
    auto got = tag.Find(c.subject);
    if (c.want == 0) {
      CHECK_FALSE(got.has_value());
    } else {
      REQUIRE(got.has_value());
      CHECK(*got == c.want);
    }
  }
  CHECK(tag.Format(42) == "[#42]");
}

TEST_CASE("ticket tag pattern is configurable") {
  auto tag = recovery::TicketTag::FromPattern("[ACME-{id}]");
  REQUIRE(tag.ok());
  CHECK(tag->Find("Re: [ACME-77] Refund") == std::optional<std::uint64_t>(77));
  CHECK_FALSE(tag->Find("Re: [#77] Refund").has_value());
  CHECK(tag->Format(5) == "[ACME-5]");

  CHECK_FALSE(recovery::TicketTag::FromPattern("no placeholder").ok());
  CHECK_FALSE(recovery::TicketTag::FromPattern("{id}").ok());
  CHECK_FALSE(recovery::TicketTag::FromPattern("[{id}-{id}]").ok());
}
