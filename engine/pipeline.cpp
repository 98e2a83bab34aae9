#include "engine/pipeline.h"

#include <utility>

namespace engine {

IngestPipeline::IngestPipeline(store::Store& store, const CommitFn& commit, unsigned workers)
    : store_(store), commit_(commit), workers_(workers) {}

IngestPipeline::~IngestPipeline() {
  // wait(), not get(): a destructor must not rethrow a batch's exception.
  for (auto& f : running_) f.wait();
}

void IngestPipeline::Submit(PipelineBatch batch) {
  std::promise<bool> committed;
  std::shared_future<bool> previous =
      std::exchange(last_committed_, committed.get_future().share());
  running_.push_back(std::async(std::launch::async, [this, b = std::move(batch), previous,
                                                     done = std::move(committed)]() mutable {
    PipelineResult r;
    r.prepared = PrepareAll(b.sources, b.raws, workers_);
    // Parsing overlapped the previous batch's commit; committing waits for it.
    if (previous.valid() && !previous.get()) {
      r.outcomes =
          util::Error(util::Code::kInternal, "not committed: an earlier batch failed to commit");
    } else {
      r.outcomes = CommitAll(store_, r.prepared, commit_, b.skip, b.also);
    }
    done.set_value(r.outcomes.ok());
    return r;
  }));
}

PipelineResult IngestPipeline::Next() {
  PipelineResult r = running_.front().get();
  running_.pop_front();
  return r;
}

}  // namespace engine
