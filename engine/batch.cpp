#include "engine/batch.h"

#include <algorithm>
#include <thread>

namespace engine {

void IngestCounts::Add(const recovery::Outcome& o) {
  using Kind = recovery::Outcome::Kind;
  switch (o.kind) {
    case Kind::kNewTicket:
      ++new_tickets;
      break;
    case Kind::kThreaded:
      ++threaded;
      break;
    case Kind::kIgnored:
    case Kind::kRejected:
      ++ignored;
      break;
    case Kind::kUnprocessable:
      ++unprocessable;
      break;
    case Kind::kDuplicate:
      ++duplicates;
      break;
    case Kind::kEmpty:
      break;
  }
}

void IngestCounts::Add(const IngestCounts& c) {
  new_tickets += c.new_tickets;
  threaded += c.threaded;
  ignored += c.ignored;
  unprocessable += c.unprocessable;
  duplicates += c.duplicates;
}

unsigned ParseWorkers(unsigned requested) {
  return requested != 0 ? requested : std::max(1u, std::thread::hardware_concurrency());
}

recovery::FilingOptions FilingOptionsFor(const config::Config& cfg,
                                         const recovery::IngestOptions& ingest) {
  recovery::FilingOptions o;
  o.ingest = ingest;
  o.allowed_forwarders = cfg.allowed_forwarders;
  o.forward_max_age_days = cfg.forward_max_age_days;
  for (const auto& a : cfg.accounts) {
    if (a.role != "intake" && !a.address.empty())
      o.account_addresses.emplace_back(a.address, a.name);
  }
  return o;
}

}  // namespace engine
