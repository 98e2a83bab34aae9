#include "engine/batch.h"

#include <atomic>
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

std::vector<recovery::Prepared> PrepareAll(const std::vector<recovery::Source>& sources,
                                           std::vector<std::string>& raws, unsigned workers) {
  std::vector<recovery::Prepared> out(raws.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < raws.size(); i = next++) {
      out[i] = recovery::Prepare(sources[i], std::move(raws[i]));
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < workers && t < raws.size(); ++t) threads.emplace_back(work);
  work();
  for (auto& th : threads) th.join();
  return out;
}

CommitFn SupportCommit(const recovery::IngestOptions& ingest) {
  return [&ingest](store::WriteTxn& txn, const recovery::Prepared& p) {
    return recovery::Commit(txn, p, ingest);
  };
}

CommitFn IntakeCommit(const recovery::IntakeOptions& intake) {
  return [&intake](store::WriteTxn& txn,
                   const recovery::Prepared& p) -> util::Result<recovery::Outcome> {
    auto r = recovery::CommitIntake(txn, p, intake, p.source.source_key);
    if (!r.ok()) return r.status();
    using Kind = recovery::Outcome::Kind;
    recovery::Outcome o;
    o.ticket_id = r->ticket_id;
    o.message_id = r->message_id;
    o.detail = r->decision + (r->reason.empty() ? "" : ": " + r->reason);
    const std::string& d = r->decision;
    if (d == "accepted") {
      o.kind = Kind::kNewTicket;
    } else if (d == "appended") {
      o.kind = Kind::kThreaded;
    } else if (d == "duplicate") {
      o.kind = Kind::kDuplicate;
    } else if (d == "unprocessable") {
      o.kind = Kind::kUnprocessable;
    } else if (d == "empty") {
      o.kind = Kind::kEmpty;
    } else {  // rejected, unauthorized, not-forward: filed as ordinary mail or kept
      o.kind = r->ticket_id != 0 ? Kind::kNewTicket : Kind::kIgnored;
    }
    return o;
  };
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
    if (acc.role == "intake" && acc.provider == "microsoft" && exchange_host(acc.host)) {
      a.exchange_online = true;
    }
  }
  return a;
}
}  // namespace

recovery::IntakeOptions IntakeOptionsFor(const config::Config& cfg,
                                         const recovery::IngestOptions& ingest) {
  recovery::IntakeOptions o;
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

util::Result<std::vector<recovery::Outcome>> CommitAll(
    store::Store& store, const std::vector<recovery::Prepared>& prepared, const CommitFn& commit,
    const std::vector<bool>& skip, const std::function<util::Status(store::WriteTxn&)>& also) {
  std::vector<recovery::Outcome> outcomes;
  util::Status st = store.Write([&](store::WriteTxn& txn) -> util::Status {
    // Store::Write may run this again after growing the map: start clean.
    outcomes.assign(prepared.size(), recovery::Outcome{});
    for (std::size_t i = 0; i < prepared.size(); ++i) {
      if (i < skip.size() && skip[i]) continue;
      auto out = commit(txn, prepared[i]);
      if (!out.ok()) return out.status();
      outcomes[i] = std::move(out).value();
    }
    return also ? also(txn) : util::Status{};
  });
  if (!st.ok()) return st;
  return outcomes;
}

}  // namespace engine
