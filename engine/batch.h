// What replay and IMAP sync share: parsing a batch of messages on a few
// threads (the writer stays single), committing the batch in one write
// transaction, and counting what happened to each message.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "recovery/ingest.h"
#include "recovery/intake.h"
#include "store/store.h"

namespace engine {

struct IngestCounts {
  std::uint64_t new_tickets = 0;
  std::uint64_t threaded = 0;
  std::uint64_t ignored = 0;
  std::uint64_t unprocessable = 0;
  std::uint64_t duplicates = 0;
  void Add(const recovery::Outcome& o);
  void Add(const IngestCounts& c);
};

// `requested`, or one per core when 0.
unsigned ParseWorkers(unsigned requested);

// Prepares raws[i] as sources[i] for every i where sources[i] is set, on
// `workers` threads; moves from `raws`. Output order is input order, so
// ticket numbers never depend on the thread count.
std::vector<recovery::Prepared> PrepareAll(const std::vector<recovery::Source>& sources,
                                           std::vector<std::string>& raws, unsigned workers);

// How one prepared message is filed, inside the writer's transaction.
using CommitFn =
    std::function<util::Result<recovery::Outcome>(store::WriteTxn&, const recovery::Prepared&)>;
// Support mail: recovery::Commit.
CommitFn SupportCommit(const recovery::IngestOptions& ingest);
// The intake address: recovery::CommitIntake, its decision mapped onto an
// Outcome for counting (accepted = new ticket, appended = threaded,
// rejected / unauthorized-without-ticket = ignored). `input` names the log's source.
CommitFn IntakeCommit(const recovery::IntakeOptions& intake);
// The intake rules as the config sets them.
recovery::IntakeOptions IntakeOptionsFor(const config::Config& cfg,
                                         const recovery::IngestOptions& ingest);

// Commits every prepared message (skipping those `skip` says) in one write
// transaction, then runs `also` in it (a checkpoint, say). Outcomes come
// back in input order; on error nothing was written.
util::Result<std::vector<recovery::Outcome>> CommitAll(
    store::Store& store, const std::vector<recovery::Prepared>& prepared, const CommitFn& commit,
    const std::vector<bool>& skip, const std::function<util::Status(store::WriteTxn&)>& also = {});

}  // namespace engine
