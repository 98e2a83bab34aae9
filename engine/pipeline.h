// engine::IngestPipeline: the shape replay and IMAP sync share. Batches of
// raw messages go through two stages, parse (recovery::Prepare on a few
// threads) and commit (the store's single writer, one transaction per
// batch), so that batch k commits while k+1 is parsed and the caller reads
// or fetches k+2. Commits happen in submission order, and a batch whose
// predecessor failed to commit is not committed at all: a checkpoint
// written with batch k+1 must never skip the messages of batch k.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "engine/batch.h"
#include "recovery/ingest.h"
#include "store/store.h"
#include "util/result.h"

namespace engine {

struct PipelineBatch {
  std::vector<recovery::Source> sources;
  std::vector<std::string> raws;  // moved into the prepared messages
  std::vector<bool> skip;         // unreadable inputs: not parsed, not committed
  // Runs last in the batch's transaction (the folder checkpoint, say).
  std::function<util::Status(store::WriteTxn&)> also;
};

struct PipelineResult {
  std::vector<recovery::Prepared> prepared;
  // Outcomes in input order, or why nothing of the batch was written.
  util::Result<std::vector<recovery::Outcome>> outcomes = std::vector<recovery::Outcome>{};
};

class IngestPipeline {
 public:
  // REQUIRES: `store` and `commit` outlive the pipeline.
  IngestPipeline(store::Store& store, const CommitFn& commit, unsigned workers);
  // Waits for the batches still in flight (they commit).
  ~IngestPipeline();
  IngestPipeline(const IngestPipeline&) = delete;
  IngestPipeline& operator=(const IngestPipeline&) = delete;

  // Starts `batch` and returns at once.
  void Submit(PipelineBatch batch);
  // Batches submitted and not yet taken by Next.
  std::size_t in_flight() const { return running_.size(); }
  // The oldest batch's result, once it is committed (or failed).
  // REQUIRES: in_flight() > 0.
  PipelineResult Next();

 private:
  store::Store& store_;
  const CommitFn& commit_;
  const unsigned workers_;
  std::deque<std::future<PipelineResult>> running_;
  // Resolves true when the last submitted batch committed.
  std::shared_future<bool> last_committed_;
};

}  // namespace engine
