// What every ingest run counts, and the filing rules as the config sets them.
#pragma once

#include <cstdint>

#include "config/config.h"
#include "recovery/ingest.h"
#include "recovery/intake.h"

namespace engine {

struct IngestCounts {
  std::uint64_t new_tickets = 0;
  std::uint64_t threaded = 0;
  std::uint64_t ignored = 0;  // includes the intake's rejected forwards
  std::uint64_t unprocessable = 0;
  std::uint64_t duplicates = 0;
  void Add(const recovery::Outcome& o);
  void Add(const IngestCounts& c);
};

// `requested`, or one per core when 0.
unsigned ParseWorkers(unsigned requested);

// The filing rules (support mail and the intake's) as the config sets them.
recovery::FilingOptions FilingOptionsFor(const config::Config& cfg,
                                         const recovery::IngestOptions& ingest);
inline recovery::FilingOptions IntakeOptionsFor(const config::Config& cfg,
                                                const recovery::IngestOptions& ingest) {
  return FilingOptionsFor(cfg, ingest);
}

}  // namespace engine
