#include "engine/batch.h"

#include <algorithm>
#include <cctype>
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

namespace {
// [intake] trusted_authserv_ids / require; the intake account's provider
// says whether Exchange Online's organization headers can be believed.
recovery::ForwarderAuthConfig ForwarderAuthFor(const config::Config& cfg) {
  recovery::ForwarderAuthConfig a;
  a.trusted_authserv_ids = cfg.trusted_authserv_ids;
  if (auto l = recovery::ParseForwarderAuthLevel(cfg.intake_require); l.ok()) a.require = *l;
  // Only a mailbox really hosted by Exchange Online: on any other server the
  // X-MS-Exchange-Organization-* headers are whatever the sender wrote.
  auto exchange_host = [](std::string h) {
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* suffix : {"outlook.office365.com", "outlook.office.com",
                               "outlook.office365.us", "partner.outlook.cn"}) {
      if (h == suffix) return true;
    }
    return false;
  };
  for (const auto& acc : cfg.accounts) {
    if (acc.role == config::Role::kIntake && acc.provider == config::Provider::kMicrosoft &&
        exchange_host(acc.host)) {
      a.exchange_online = true;
    }
  }
  return a;
}
}  // namespace

recovery::FilingOptions FilingOptionsFor(const config::Config& cfg,
                                         const recovery::IngestOptions& ingest) {
  recovery::FilingOptions o;
  o.ingest = ingest;
  o.allowed_forwarders = cfg.allowed_forwarders;
  o.forward_max_age_days = cfg.forward_max_age_days;
  o.auth = ForwarderAuthFor(cfg);
  for (const auto& a : cfg.accounts) {
    if (a.role != config::Role::kIntake && !a.address.empty())
      o.account_addresses.emplace_back(a.address, a.name);
  }
  return o;
}

}  // namespace engine
