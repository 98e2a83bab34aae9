// engine::RunPipeline on a real LMDB store: order, the byte bound, and that
// nothing commits behind a failed batch (a checkpoint must never skip mail).
#include "engine/pipeline.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_store.h"

namespace {

std::string Mail(int n, std::size_t pad = 0) {
  return "From: c" + std::to_string(n) + "@customer.example\r\nSubject: request " +
         std::to_string(n) + "\r\nMessage-ID: <m" + std::to_string(n) +
         "@customer.example>\r\n\r\nPlease help with " + std::to_string(n) + ".\r\n" +
         std::string(pad, 'x') + "\r\n";
}

// Messages 0..n-1 as an IMAP-like source: the checkpoint is the last number
// committed; records the largest number of bytes it held out at once.
class TestSource : public engine::MessageSource {
 public:
  TestSource(int n, std::size_t pad = 0) : n_(n), pad_(pad) {}
  util::Result<engine::SourceBatch> Next(std::size_t max_count, std::uint64_t max_bytes,
                                         bool at_least_one) override {
    engine::SourceBatch b;
    std::uint64_t bytes = 0;
    while (next_ < n_ && b.messages.size() < max_count) {
      std::string raw = Mail(next_, pad_);
      if (bytes + raw.size() > max_bytes && !(b.messages.empty() && at_least_one)) break;
      bytes += raw.size();
      engine::SourceMessage m;
      m.key = "imap:INBOX/1/" + std::to_string(next_);
      m.name = "message " + std::to_string(next_);
      m.raw = std::move(raw);
      b.messages.push_back(std::move(m));
      b.cursor = static_cast<std::uint64_t>(next_++);
    }
    b.end = next_ == n_;
    largest_batch = std::max(largest_batch, bytes);
    return b;
  }
  util::Status InCommit(store::WriteTxn& txn, const engine::SourceBatch& b) override {
    return txn.PutCheckpoint("support", "INBOX",
                             {1, static_cast<std::uint32_t>(b.cursor), 1700000000});
  }
  std::uint64_t largest_batch = 0;

 private:
  int n_;
  std::size_t pad_;
  int next_ = 0;
};

struct FixedClock : util::Clock {
  std::int64_t NowSeconds() const override { return 1700000000; }
};

}  // namespace

TEST_CASE("pipeline: batches commit in fetch order with their checkpoints") {
  test_support::TempStore ts;
  TestSource src(60);
  engine::PipelineOptions po;
  po.account = "support";
  po.batch_count = 10;
  po.workers = 3;
  std::vector<std::uint64_t> tickets;
  auto run = engine::RunPipeline(
      *ts.st, src, recovery::FilingOptions{}, po, FixedClock{},
      [&](const engine::SourceMessage&, const recovery::Prepared& p, const recovery::Outcome& o) {
        CHECK(p.raw.empty());  // released once committed
        tickets.push_back(o.ticket_id);
      });
  REQUIRE(run.ok());
  CHECK(run->inputs == 60);
  CHECK(run->new_tickets == 60);
  REQUIRE(tickets.size() == 60);
  for (std::size_t i = 0; i < tickets.size(); ++i) CHECK(tickets[i] == i + 1);
  REQUIRE(ts.st
              ->Read([&](store::ReadTxn& txn) {
                CHECK(txn.GetCheckpoint("support", "INBOX")->last_uid == 59);
                CHECK(txn.TicketCount() == 60);
                return util::Status{};
              })
              .ok());
}

TEST_CASE("pipeline: the bytes in flight stay under the bound, and a bigger message passes alone") {
  test_support::TempStore ts;
  TestSource src(40, 100 << 10);  // 40 messages of ~100 KB
  engine::PipelineOptions po;
  po.account = "support";
  po.max_bytes_in_flight = 350 << 10;
  po.batch_bytes = 1 << 20;
  auto run = engine::RunPipeline(*ts.st, src, recovery::FilingOptions{}, po, FixedClock{});
  REQUIRE(run.ok());
  CHECK(run->new_tickets == 40);
  CHECK(src.largest_batch <= (350u << 10));

  TestSource big(3, 2 << 20);  // each larger than the bound
  auto run2 = engine::RunPipeline(*ts.st, big, recovery::FilingOptions{}, po, FixedClock{});
  REQUIRE(run2.ok());
  CHECK(run2->inputs == 3);
}

TEST_CASE("pipeline: nothing commits behind a batch that failed") {
  test_support::TempStore ts;
  TestSource src(30);
  engine::PipelineOptions po;
  po.account = "support";
  po.batch_count = 10;
  const recovery::FilingOptions filing;
  // The store refuses one message of the second batch (think: disk full).
  po.file = [&](store::WriteTxn& txn,
                const recovery::Prepared& p) -> util::Result<recovery::Outcome> {
    if (p.source.source_key == "imap:INBOX/1/15") {
      return util::Error(util::Code::kIOError, "disk full");
    }
    return recovery::File(txn, p, filing);
  };
  auto run = engine::RunPipeline(*ts.st, src, filing, po, FixedClock{});
  REQUIRE_FALSE(run.ok());
  CHECK(run.status().code() == util::Code::kIOError);
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

namespace {

// Bytes out across sources: fetched and not yet reported back by `filed`.
struct Outstanding {
  std::mutex mu;
  std::uint64_t bytes = 0;
  std::uint64_t worst = 0;  // the most ever out, counting the room a fetch was given
  int waiting = 0;          // sources parked in their first Next
  std::condition_variable cv;
};

// A source of `n` 1 KB messages whose first Next waits (up to 2 s) until
// `parties` sources are in their first Next: the fetches overlap.
class SharedSource : public engine::MessageSource {
 public:
  SharedSource(Outstanding& out, int parties, int n, std::string prefix)
      : out_(out), parties_(parties), n_(n), prefix_(std::move(prefix)) {}
  util::Result<engine::SourceBatch> Next(std::size_t max_count, std::uint64_t max_bytes,
                                         bool at_least_one) override {
    {
      std::unique_lock l(out_.mu);
      if (first_) {
        first_ = false;
        ++out_.waiting;
        out_.cv.notify_all();
        out_.cv.wait_for(l, std::chrono::seconds(2), [&] { return out_.waiting >= parties_; });
      }
      // The room given to this fetch is out as soon as the fetch starts.
      out_.worst = std::max(out_.worst, out_.bytes + max_bytes);
    }
    engine::SourceBatch b;
    std::uint64_t bytes = 0;
    while (next_ < n_ && b.messages.size() < max_count) {
      std::string raw = "From: c@customer.example\r\nSubject: " + prefix_ + " " +
                        std::to_string(next_) + "\r\nMessage-ID: <" + prefix_ + "." +
                        std::to_string(next_) + "@customer.example>\r\n\r\n" +
                        std::string(1000, 'x') + "\r\n";
      if (bytes + raw.size() > max_bytes && !(b.messages.empty() && at_least_one)) break;
      bytes += raw.size();
      engine::SourceMessage m;
      m.key = "imap:" + prefix_ + "/1/" + std::to_string(next_);
      m.name = prefix_ + " " + std::to_string(next_);
      sizes_[m.name] = raw.size();
      m.raw = std::move(raw);
      b.messages.push_back(std::move(m));
      b.cursor = static_cast<std::uint64_t>(next_++);
    }
    b.end = next_ == n_;
    std::lock_guard l(out_.mu);
    out_.bytes += bytes;
    out_.worst = std::max(out_.worst, out_.bytes);
    return b;
  }
  // Reported by the pipeline (whose raw bytes are gone by then).
  void Filed(const std::string& name) {
    std::lock_guard l(out_.mu);
    out_.bytes -= sizes_.at(name);
  }

 private:
  Outstanding& out_;
  int parties_;
  int n_;
  std::string prefix_;
  int next_ = 0;
  bool first_ = true;
  std::map<std::string, std::uint64_t> sizes_;  // by name, as fetched
};

}  // namespace

TEST_CASE("pipeline: pipelines sharing the process budget never hold more than it together") {
  test_support::TempStore ts;
  Outstanding out;
  constexpr std::uint64_t kBudget = 64 << 10;  // 64 KB across both; each message ~1.1 KB
  engine::PipelineOptions po;
  po.batch_count = 1000;
  po.batch_bytes = 1 << 20;
  po.max_bytes_in_flight = 1 << 20;  // each pipeline alone would take 16 times the budget
  po.process_bytes_in_flight = kBudget;
  auto run_one = [&](const std::string& account, util::Result<engine::PipelineStats>& result) {
    SharedSource src(out, 2, 300, account);
    engine::PipelineOptions mine = po;
    mine.account = account;
    result = engine::RunPipeline(*ts.st, src, recovery::FilingOptions{}, mine, FixedClock{},
                                 [&](const engine::SourceMessage& in, const recovery::Prepared&,
                                     const recovery::Outcome&) { src.Filed(in.name); });
  };
  util::Result<engine::PipelineStats> a = util::Error(util::Code::kInternal, "not run");
  util::Result<engine::PipelineStats> b = util::Error(util::Code::kInternal, "not run");
  {
    std::jthread ta([&] { run_one("alpha", a); });
    std::jthread tb([&] { run_one("beta", b); });
  }
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->new_tickets == 300);
  CHECK(b->new_tickets == 300);
  CHECK(out.bytes == 0);
  INFO("the most the two pipelines held at once: " << out.worst << " bytes");
  // A pipeline with nothing in flight may take one message past the budget
  // (progress never waits on another account): at most one each. Checked
  // but not reserved, each fetch saw the whole budget free: twice it.
  constexpr std::uint64_t kMessage = 1200;
  CHECK(out.worst <= kBudget + 2 * kMessage);
}
