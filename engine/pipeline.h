// engine::RunPipeline: the one ingest path. Every source (engine/source.h)
// goes through the same three stages:
//
//   fetch    on the calling thread: the source's next batch
//   prepare  on a pool of worker threads (started once per run): parse,
//            digest, pack, and for intake input unwrap the forward
//            (recovery::Prepare)
//   commit   on one writer thread: recovery::File for each message, then
//            the source's InCommit (a checkpoint), in one write transaction
//            per batch, batches in fetch order
//
// then, back on the calling thread, the per-message report and the
// source's AfterCommit (post_action). Batch k commits while k+1 is prepared
// and k+2 fetched. A batch whose predecessor failed to commit is not
// committed at all: a checkpoint written with batch k+1 must never skip the
// mail of batch k.
//
// Memory: the raw bytes of every batch not yet reported count against
// max_bytes_in_flight, across all stages; a message larger than the bound
// passes alone. Raw bytes are dropped as soon as they are committed.
//
// Tests: DESKMAIL_TEST_CRASH_AT=STAGE:N ends the process (_exit(86)) at a
// stage boundary of the Nth batch: "fetched" (fetched, not prepared),
// "prepared" (prepared, not committed), "commit" (filed inside the write
// transaction, not committed), "committed" (committed, AfterCommit not run).
#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>

#include "engine/batch.h"
#include "engine/source.h"
#include "recovery/ingest.h"
#include "recovery/intake.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/result.h"

namespace engine {

// How a prepared message is filed inside the writer's transaction; tests
// replace it to make the store fail.
using FileFn =
    std::function<util::Result<recovery::Outcome>(store::WriteTxn&, const recovery::Prepared&)>;

struct PipelineOptions {
  std::string account;
  std::string channel = "replay";                   // recovery::Source::channel
  bool intake = false;                              // unwrap forwards and apply the intake rules
  unsigned workers = 0;                             // prepare threads; 0 = one per core
  std::size_t batch_count = 256;                    // messages per batch (per commit)
  std::uint64_t batch_bytes = 8ull << 20;           // raw bytes per batch
  std::uint64_t max_bytes_in_flight = 24ull << 20;  // raw bytes in all stages
  // Raw bytes in flight across every pipeline of the process (accounts
  // syncing at once); a pipeline with nothing in flight still takes one.
  std::uint64_t process_bytes_in_flight = 48ull << 20;
  // Batches that may wait on the writer while the next is fetched; 1 when
  // the source acts after commit.
  std::size_t depth = 2;
  FileFn file;  // empty: recovery::File with the run's FilingOptions
};

struct PipelineStats : IngestCounts {
  std::uint64_t inputs = 0;
  std::uint64_t bytes = 0;
  std::uint64_t unreadable = 0;  // could not be read: nothing stored
};

// Called once per input after its batch committed, in input order. For an
// unreadable input `outcome` is kEmpty and `input.error` says why.
// `prepared.raw` is already released.
using FiledFn = std::function<void(const SourceMessage& input, const recovery::Prepared& prepared,
                                   const recovery::Outcome& outcome)>;
// After each batch: (inputs done, total when the source knows it, else 0).
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Runs `source` to its end (or `stop`). Returns the first error: a source
// failure, a store failure (the batch in flight and those behind it are not
// committed; earlier ones are), or a failed AfterCommit.
util::Result<PipelineStats> RunPipeline(store::Store& store, MessageSource& source,
                                        const recovery::FilingOptions& filing,
                                        const PipelineOptions& opts, const util::Clock& clock,
                                        const FiledFn& filed = {}, const ProgressFn& progress = {},
                                        std::stop_token stop = {});

namespace detail {
// The test-only fault hook (see above). Cheap when the variable is unset.
void CrashPoint(const char* stage, std::uint64_t batch);
}  // namespace detail

}  // namespace engine
