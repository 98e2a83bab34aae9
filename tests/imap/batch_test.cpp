#include "imap/batch.h"

#include <catch2/catch.hpp>

namespace {

using Batches = std::vector<std::vector<uint32_t>>;

TEST_CASE("PlanBatches bounds each batch by count and bytes", "[imap][batch]") {
  struct Case {
    const char* name;
    std::vector<imap::UidSize> in;
    imap::BatchLimits limits;
    Batches want;
  };
  const std::vector<Case> cases = {
      {"empty", {}, {10, 1000}, {}},
      {"count bound",
       {{1, 10}, {2, 10}, {3, 10}, {4, 10}, {5, 10}},
       {2, 1000},
       {{1, 2}, {3, 4}, {5}}},
      {"byte bound", {{1, 400}, {2, 400}, {3, 400}}, {10, 1000}, {{1, 2}, {3}}},
      {"exact byte fit", {{1, 500}, {2, 500}, {3, 1}}, {10, 1000}, {{1, 2}, {3}}},
      {"oversized message alone", {{1, 10}, {2, 5000}, {3, 10}}, {10, 1000}, {{1}, {2}, {3}}},
      {"unsorted with duplicates", {{9, 1}, {3, 1}, {9, 1}, {5, 1}}, {2, 1000}, {{3, 5}, {9}}},
      {"zero count acts as one", {{1, 1}, {2, 1}}, {0, 1000}, {{1}, {2}}},
  };
  for (const Case& c : cases) {
    SECTION(c.name) { CHECK(imap::PlanBatches(c.in, c.limits) == c.want); }
  }
}

TEST_CASE("FormatUidSet collapses runs", "[imap][batch]") {
  struct Case {
    std::vector<uint32_t> in;
    const char* want;
  };
  const std::vector<Case> cases = {
      {{}, ""},           {{7}, "7"},
      {{1, 2, 3}, "1:3"}, {{10, 9, 1, 3, 2, 7}, "1:3,7,9:10"},
      {{5, 5, 6}, "5:6"}, {{4294967294u, 4294967295u}, "4294967294:4294967295"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.want);
    CHECK(imap::FormatUidSet(c.in) == c.want);
  }
}

}  // namespace
