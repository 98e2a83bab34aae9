// engine::IngestPipeline on a real LMDB store: order, and that nothing
// commits behind a failed batch (a checkpoint must never skip mail).
#include "engine/pipeline.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/temp_store.h"

namespace {

std::string Mail(int n) {
  return "From: c" + std::to_string(n) + "@customer.example\r\nSubject: request " +
         std::to_string(n) + "\r\nMessage-ID: <m" + std::to_string(n) +
         "@customer.example>\r\n\r\nPlease help with " + std::to_string(n) + ".\r\n";
}

engine::PipelineBatch Batch(int first, int count, std::uint32_t checkpoint) {
  engine::PipelineBatch b;
  for (int n = first; n < first + count; ++n) {
    b.sources.push_back({"support", "imap:INBOX/1/" + std::to_string(n), "imap", 1700000000});
    b.raws.push_back(Mail(n));
  }
  b.also = [checkpoint](store::WriteTxn& txn) {
    return txn.PutCheckpoint("support", "INBOX", {1, checkpoint, 1700000000});
  };
  return b;
}

TEST_CASE("pipeline: batches commit in submission order with their checkpoints") {
  test_support::TempStore ts;
  const recovery::IngestOptions ingest;
  const engine::CommitFn commit = engine::SupportCommit(ingest);
  engine::IngestPipeline p(*ts.st, commit, 2);
  for (int k = 0; k < 6; ++k) p.Submit(Batch(k * 10, 10, static_cast<std::uint32_t>(k * 10 + 9)));
  CHECK(p.in_flight() == 6);
  std::uint64_t expect_ticket = 1;
  for (int k = 0; k < 6; ++k) {
    engine::PipelineResult r = p.Next();
    REQUIRE(r.outcomes.ok());
    REQUIRE(r.outcomes->size() == 10);
    for (const auto& o : *r.outcomes) CHECK(o.ticket_id == expect_ticket++);
  }
  CHECK(p.in_flight() == 0);
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& txn) {
                CHECK(txn.GetCheckpoint("support", "INBOX")->last_uid == 59);
                CHECK(txn.TicketCount() == 60);
                return util::Status{};
              })
              .ok());
}

TEST_CASE("pipeline: nothing commits behind a batch that failed") {
  test_support::TempStore ts;
  const recovery::IngestOptions ingest;
  // The store refuses one message of the second batch (think: disk full).
  const engine::CommitFn commit =
      [&](store::WriteTxn& txn, const recovery::Prepared& p) -> util::Result<recovery::Outcome> {
    if (p.source.source_key == "imap:INBOX/1/15") {
      return util::Error(util::Code::kIOError, "disk full");
    }
    return recovery::Commit(txn, p, ingest);
  };
  engine::IngestPipeline p(*ts.st, commit, 2);
  p.Submit(Batch(0, 10, 9));
  p.Submit(Batch(10, 10, 19));
  p.Submit(Batch(20, 10, 29));
  CHECK(p.Next().outcomes.ok());
  auto second = p.Next();
  REQUIRE_FALSE(second.outcomes.ok());
  CHECK(second.outcomes.status().code() == util::Code::kIOError);
  auto third = p.Next();
  REQUIRE_FALSE(third.outcomes.ok());
  CHECK_THAT(third.outcomes.status().message(), Catch::Contains("earlier batch failed"));
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& txn) {
                // Only the first batch: the third's checkpoint (29) would have
                // skipped the second batch's mail for good.
                CHECK(txn.GetCheckpoint("support", "INBOX")->last_uid == 9);
                CHECK(txn.MessageCount() == 10);
                return util::Status{};
              })
              .ok());
}

}  // namespace
