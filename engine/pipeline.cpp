#include "engine/pipeline.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace engine {
namespace detail {

void CrashPoint(const char* stage, std::uint64_t batch) {
  static const std::string spec = [] {
    const char* v = std::getenv("DESKMAIL_TEST_CRASH_AT");
    return std::string(v != nullptr ? v : "");
  }();
  if (spec.empty()) return;
  if (spec == std::string(stage) + ":" + std::to_string(batch)) {
    std::fflush(nullptr);
    ::_exit(86);
  }
}

}  // namespace detail

namespace {

using Kind = recovery::Outcome::Kind;

// Every pipeline of the process (one per account folder being synced)
// counts its raw bytes in flight here too, so that 50 accounts ingesting
// at once share one budget instead of holding 50 times one. The room for a
// fetch is reserved before the fetch and what it did not use is given back
// after: 50 accounts starting together must not each see the whole budget
// free and each fetch a full batch. A pipeline's room is also capped at its
// share (the budget over the pipelines running), so one busy account cannot
// hold the budget while the others crawl one message at a time. A pipeline
// with nothing in flight may still take one message past it: progress never
// waits on another account.
class ProcessBudget {
 public:
  static ProcessBudget& Get() {
    static ProcessBudget b;
    return b;
  }
  // One per running pipeline (Member below).
  void Join() {
    std::lock_guard l(mu_);
    ++pipelines_;
  }
  void Leave() {
    std::lock_guard l(mu_);
    --pipelines_;
  }
  // Up to `want` bytes of `limit`, and no more than the share of a pipeline
  // that already holds `held`. What it returns is taken.
  std::uint64_t Reserve(std::uint64_t want, std::uint64_t limit, std::uint64_t held) {
    std::lock_guard l(mu_);
    const std::uint64_t share = limit / std::max<std::uint64_t>(pipelines_, 1);
    std::uint64_t n = std::min(want, used_ < limit ? limit - used_ : 0);
    n = std::min(n, share > held ? share - held : 0);
    used_ += n;
    return n;
  }
  void Take(std::uint64_t n) {
    std::lock_guard l(mu_);
    used_ += n;
  }
  void Give(std::uint64_t n) {
    std::lock_guard l(mu_);
    used_ -= std::min(used_, n);
  }

  struct Member {
    Member() { Get().Join(); }
    ~Member() { Get().Leave(); }
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;
  };

 private:
  std::mutex mu_;
  std::uint64_t used_ = 0;
  std::uint64_t pipelines_ = 0;
};

// Prepare threads; jobs queue here. One pool serves every pipeline of the
// process (see SharedPool).
class WorkerPool {
 public:
  explicit WorkerPool(unsigned n) {
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Post(std::function<void()> job) {
    {
      std::lock_guard l(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock l(mu_);
        cv_.wait(l, [&] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// A run's parse trees, packed bytes and the writer's dirty pages are freed
// on several threads, into malloc arenas that keep them: give them back
// when the pipeline ends, or an account that then idles for hours holds its
// peak (and when it starts, below). Only then: trimming while mail flows hands back pages the next
// batch faults in again, zero-filled. Every batch cost as much CPU as the
// rest of the client together (10,000 realistic messages: 32 CPU-s with,
// 16 without); even once a second it cost a tenth of the client's CPU
// (11.5 -> 10.3 CPU-s) and lowered no peak (one account 47 MB either way,
// fifty at once 110 MB with, 107-114 without; docs/BENCHMARKS.md). glibc
// still trims the top of each heap by itself past M_TRIM_THRESHOLD.
void TrimHeap() { ::malloc_trim(0); }

// The prepare threads of the process: one per core, started by the first
// pipeline and kept until exit. Fifty accounts ingesting at once would
// otherwise start fifty pools (a hundred threads on two cores, each with a
// malloc arena keeping what it freed) for the same two cores of work.
WorkerPool& SharedPool() {
  static WorkerPool pool(ParseWorkers(0));
  return pool;
}

struct Batch {
  std::uint64_t seq = 0;
  SourceBatch src;
  std::vector<recovery::Prepared> prepared;
  std::uint64_t bytes = 0;
  // Guarded by Stages::mu_.
  std::size_t pending = 0;  // prepare jobs not finished
  bool done = false;        // committed, or failed
  util::Result<std::vector<recovery::Outcome>> outcomes = std::vector<recovery::Outcome>{};
};

// The writer thread of one run, and the prepare pool it posts to: the
// process's shared one, or its own when the caller asked for a number of
// workers.
class Stages {
 public:
  Stages(store::Store& store, MessageSource& source, const FileFn& file, unsigned workers,
         recovery::Source base)
      : store_(store),
        source_(source),
        file_(file),
        base_(std::move(base)),
        own_pool_(workers != 0 ? std::make_unique<WorkerPool>(workers) : nullptr),
        pool_(own_pool_ ? *own_pool_ : SharedPool()) {
    writer_ = std::thread([this] { WriterLoop(); });
  }
  // Every submitted batch is committed (or failed) before the writer ends.
  ~Stages() {
    {
      std::lock_guard l(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    writer_.join();
  }
  Stages(const Stages&) = delete;
  Stages& operator=(const Stages&) = delete;

  void Submit(std::shared_ptr<Batch> b, std::int64_t now) {
    const std::size_t n = b->src.messages.size();
    b->prepared.resize(n);
    std::size_t jobs = 0;
    for (const auto& m : b->src.messages) jobs += m.error.ok() ? 1 : 0;
    {
      std::lock_guard l(mu_);
      b->pending = jobs;
      to_commit_.push_back(b);
      in_flight_.push_back(b);
    }
    if (jobs == 0) cv_.notify_all();
    for (std::size_t i = 0; i < n; ++i) {
      if (!b->src.messages[i].error.ok()) continue;
      pool_.Post([this, b, i, now] {
        SourceMessage& m = b->src.messages[i];
        recovery::Source s = base_;
        s.source_key = m.key;
        s.received_at = now;
        s.arrived_at = m.arrival;  // IMAP INTERNALDATE: what "recovered" is counted by
        s.input = m.key.empty() ? m.name : std::string();
        b->prepared[i] = recovery::Prepare(std::move(s), std::move(m.raw));
        m.raw = util::Bytes();
        // Notified under the lock: once it is released the writer may commit
        // the batch and this Stages may end, while the shared pool's thread
        // goes on to other jobs; nothing here may touch `this` after it.
        std::lock_guard l(mu_);
        if (--b->pending == 0) cv_.notify_all();
      });
    }
  }

  std::size_t in_flight() const { return in_flight_.size(); }

  // The oldest batch, once committed or failed.
  std::shared_ptr<Batch> WaitOldest() {
    std::unique_lock l(mu_);
    std::shared_ptr<Batch> b = in_flight_.front();
    cv_.wait(l, [&] { return b->done; });
    in_flight_.pop_front();
    return b;
  }

 private:
  void WriterLoop() {
    bool failed = false;
    for (;;) {
      std::shared_ptr<Batch> b;
      {
        std::unique_lock l(mu_);
        cv_.wait(l, [&] {
          return (!to_commit_.empty() && to_commit_.front()->pending == 0) ||
                 (closing_ && to_commit_.empty());
        });
        if (to_commit_.empty()) return;
        b = to_commit_.front();
        to_commit_.pop_front();
      }
      detail::CrashPoint("prepared", b->seq);
      if (failed) {
        b->outcomes =
            util::Error(util::Code::kInternal, "not committed: an earlier batch failed to commit");
      } else {
        b->outcomes = Commit(*b);
        failed = !b->outcomes.ok();
      }
      // The store has the bytes now: do not hold them until the report.
      for (auto& p : b->prepared) {
        p.raw = util::Bytes();
        p.packed_raw = store::PackedBlob();
      }
      {
        std::lock_guard l(mu_);
        b->done = true;
      }
      cv_.notify_all();
    }
  }

  util::Result<std::vector<recovery::Outcome>> Commit(Batch& b) {
    std::vector<recovery::Outcome> outcomes;
    util::Status st = store_.Write([&](store::WriteTxn& txn) -> util::Status {
      // Store::Write may run this again after growing the map: start clean.
      outcomes.assign(b.prepared.size(), recovery::Outcome{});
      for (std::size_t i = 0; i < b.prepared.size(); ++i) {
        if (!b.src.messages[i].error.ok()) continue;
        auto out = file_(txn, b.prepared[i]);
        if (!out.ok()) return out.status();
        outcomes[i] = std::move(out).value();
      }
      util::Status s = source_.InCommit(txn, b.src);
      detail::CrashPoint("commit", b.seq);
      return s;
    });
    if (!st.ok()) return st;
    return outcomes;
  }

  store::Store& store_;
  MessageSource& source_;
  const FileFn& file_;
  const recovery::Source base_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Batch>> to_commit_;  // writer's queue
  std::deque<std::shared_ptr<Batch>> in_flight_;  // submitted, not yet taken back
  bool closing_ = false;
  // Last: an own pool's threads stop before the queues they touch go away.
  std::unique_ptr<WorkerPool> own_pool_;
  WorkerPool& pool_;
  std::thread writer_;
};

}  // namespace

util::Result<PipelineStats> RunPipeline(store::Store& store, MessageSource& source,
                                        const recovery::FilingOptions& filing,
                                        const PipelineOptions& opts, const util::Clock& clock,
                                        const FiledFn& filed, const ProgressFn& progress,
                                        std::stop_token stop) {
  PipelineStats stats;
  const FileFn file =
      opts.file ? opts.file : FileFn([&filing](store::WriteTxn& txn, const recovery::Prepared& p) {
        return recovery::File(txn, p, filing);
      });
  recovery::Source base;
  base.account = opts.account;
  base.channel = opts.channel;
  base.intake = opts.intake;
  const std::uint64_t total = source.Count().value_or(0);
  const bool acts = source.acts_after_commit();
  const std::size_t depth = acts ? 1 : std::max<std::size_t>(opts.depth, 1);
  const std::uint64_t bound = std::max<std::uint64_t>(opts.max_bytes_in_flight, 1);
  std::uint64_t in_flight_bytes = 0;
  std::uint64_t seq = 0;

  // What the source freed before the first batch (an IMAP folder's listing:
  // 100,000 UIDs with their sizes parsed by libetpan, ~30 MB) goes back
  // before the batches start, or it stays beside them to the end.
  TrimHeap();
  ProcessBudget& budget = ProcessBudget::Get();
  const ProcessBudget::Member member;
  Stages stages(store, source, file, opts.workers, base);

  // Reports the oldest batch, then runs its after-commit action: after the
  // commit, so a crash between the two leaves an action to catch up, never
  // a ticket to chance.
  auto finish_oldest = [&](bool run_actions) -> util::Status {
    std::shared_ptr<Batch> b = stages.WaitOldest();
    in_flight_bytes -= b->bytes;
    if (!b->outcomes.ok()) {
      budget.Give(b->bytes);
      return b->outcomes.status();
    }
    for (std::size_t i = 0; i < b->src.messages.size(); ++i) {
      const SourceMessage& m = b->src.messages[i];
      recovery::Outcome& o = (*b->outcomes)[i];
      ++stats.inputs;
      if (!m.error.ok()) {
        ++stats.unreadable;
        o.kind = Kind::kEmpty;
        o.detail = "cannot read: " + m.error.message();
      } else {
        stats.Add(o);
      }
      if (filed) filed(m, b->prepared[i], o);
    }
    // Given back once reported: what a caller counts out by `filed` is
    // never more than the budget counts.
    budget.Give(b->bytes);
    if (progress) progress(stats.inputs, total);
    detail::CrashPoint("committed", b->seq);
    util::Status acted = run_actions ? source.AfterCommit(b->src) : util::Status::Ok();
    b.reset();
    return acted;
  };
  // Finishes every batch in flight; the first failure is returned, and no
  // action runs after it.
  auto drain = [&](bool run_actions) -> util::Status {
    util::Status first;
    while (stages.in_flight() > 0) {
      util::Status s = finish_oldest(run_actions && first.ok());
      if (first.ok()) first = std::move(s);
    }
    return first;
  };
  auto fail = [&](util::Status s) -> util::Status {
    (void)drain(/*run_actions=*/false);
    return s;
  };

  bool end = false;
  while (!end && !stop.stop_requested()) {
    while (stages.in_flight() > 0 && in_flight_bytes >= bound) {
      if (util::Status s = finish_oldest(true); !s.ok()) return fail(s);
    }
    const bool alone = stages.in_flight() == 0;
    // Reserved before the fetch, the unused part given back after it.
    const std::uint64_t room = budget.Reserve(std::min(opts.batch_bytes, bound - in_flight_bytes),
                                              opts.process_bytes_in_flight, in_flight_bytes);
    auto next = source.Next(opts.batch_count, room, alone);
    // A failed commit outranks a failed fetch: the store is the one in trouble.
    if (!next.ok()) {
      budget.Give(room);
      util::Status d = drain(/*run_actions=*/true);
      return d.ok() ? next.status() : d;
    }
    end = next->end;
    if (next->messages.empty() && next->cursor == 0) {
      budget.Give(room);
      if (!end && !alone) {  // the next message needs room: wait for the oldest batch
        if (util::Status s = finish_oldest(true); !s.ok()) return fail(s);
      }
      continue;
    }
    auto b = std::make_shared<Batch>();
    b->seq = ++seq;
    b->src = std::move(next).value();
    for (const auto& m : b->src.messages) b->bytes += m.raw.size();
    // More than the room only for a message that passed alone.
    if (b->bytes > room) {
      budget.Take(b->bytes - room);
    } else {
      budget.Give(room - b->bytes);
    }
    stats.bytes += b->bytes;
    in_flight_bytes += b->bytes;
    detail::CrashPoint("fetched", b->seq);
    while (stages.in_flight() >= depth) {
      if (util::Status s = finish_oldest(true); !s.ok()) {
        in_flight_bytes -= b->bytes;
        budget.Give(b->bytes);
        return fail(s);
      }
    }
    stages.Submit(std::move(b), clock.NowSeconds());
  }
  util::Status drained = drain(/*run_actions=*/true);
  TrimHeap();  // the account may now idle for hours
  if (!drained.ok()) return drained;
  return stats;
}

}  // namespace engine
