// Feeds a mailbox on disk through the one pipeline (engine/pipeline.h), as
// fetched mail goes: parallel parsing, then one write transaction per batch.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "engine/batch.h"
#include "engine/mailbox.h"
#include "engine/pipeline.h"
#include "recovery/ingest.h"
#include "store/store.h"
#include "util/clock.h"

namespace engine {

struct ReplayOptions {
  std::string account;
  std::string channel = "replay";
  std::size_t batch_size = 256;
  unsigned workers = 0;  // parse threads; 0 = one per core
};

struct ReplayStats : IngestCounts {
  std::uint64_t inputs = 0;
  std::uint64_t bytes = 0;
  std::uint64_t unreadable = 0;     // could not be read, or 0 bytes: nothing stored
  std::uint64_t with_warnings = 0;  // stored, but the parser noted damage
  std::map<std::string, std::uint64_t> ignored_by_reason;  // "auto-reply" -> n
  std::uint64_t stored() const { return new_tickets + threaded + ignored + unprocessable; }
};

// Called once per input that needs the operator's attention: unreadable,
// empty, unprocessable, or parsed with damage. `what` is one line.
using ProblemFn = std::function<void(const std::string& input, const std::string& what)>;

// Errors returned are store failures (the batch in flight is not committed;
// earlier batches are). Per-message problems go to `problem`.
util::Result<ReplayStats> Replay(store::Store& store, MailboxReader& reader,
                                 const ReplayOptions& opts, const recovery::IngestOptions& ingest,
                                 const util::Clock& clock, const ProblemFn& problem,
                                 const ProgressFn& progress = {});

}  // namespace engine
