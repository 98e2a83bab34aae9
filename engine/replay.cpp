#include "engine/replay.h"

#include <deque>
#include <string>
#include <vector>

#include "engine/batch.h"
#include "engine/pipeline.h"

namespace engine {
namespace {

using Kind = recovery::Outcome::Kind;

std::string ClassOf(const std::string& reason) {
  auto colon = reason.find(':');
  return colon == std::string::npos ? reason : reason.substr(0, colon);
}

}  // namespace

util::Result<ReplayStats> Replay(store::Store& store, MailboxReader& reader,
                                 const ReplayOptions& opts, const recovery::IngestOptions& ingest,
                                 const util::Clock& clock, const ProblemFn& problem,
                                 const ProgressFn& progress) {
  ReplayStats stats;
  const unsigned workers = ParseWorkers(opts.workers);
  const CommitFn commit = SupportCommit(ingest);
  const std::uint64_t total = reader.Count().value_or(0);
  recovery::Source base;
  base.account = opts.account;
  base.channel = opts.channel;

  // Batch k commits while k+1 is parsed and k+2 is read; commits stay in
  // input order, so ticket numbers do not depend on timing.
  IngestPipeline pipeline(store, commit, workers);
  // What the report needs of each batch in flight, oldest first.
  struct Inputs {
    std::vector<std::string> names;
    std::vector<util::Status> read_errors;
  };
  std::deque<Inputs> in_flight;
  auto finish_oldest = [&]() -> util::Status {
    PipelineResult r = pipeline.Next();
    const auto [names, read_errors] = std::move(in_flight.front());
    in_flight.pop_front();
    if (!r.outcomes.ok()) return r.outcomes.status();
    for (std::size_t i = 0; i < names.size(); ++i) {
      ++stats.inputs;
      if (!read_errors[i].ok()) {
        ++stats.unreadable;
        problem(names[i], "cannot read: " + read_errors[i].message());
        continue;
      }
      const recovery::Outcome& o = (*r.outcomes)[i];
      stats.Add(o);
      if (o.kind == Kind::kIgnored) ++stats.ignored_by_reason[ClassOf(o.detail)];
      if (o.kind == Kind::kUnprocessable) {
        problem(names[i], "unprocessable, kept raw as message " + std::to_string(o.message_id) +
                              ": " + o.detail);
      }
      if (o.kind == Kind::kEmpty) {
        ++stats.unreadable;
        problem(names[i], o.detail + ", skipped");
      }
      const auto& m = r.prepared[i].message;
      if (m && !m->parse_errors.empty() && o.kind != Kind::kUnprocessable &&
          o.kind != Kind::kDuplicate) {
        ++stats.with_warnings;
        std::string what = "stored as message " + std::to_string(o.message_id) +
                           " despite damage: " + m->parse_errors.front();
        if (m->parse_errors.size() > 1) {
          what += " (+" + std::to_string(m->parse_errors.size() - 1) + " more)";
        }
        problem(names[i], what);
      }
    }
    if (progress) progress(stats.inputs, total);
    return {};
  };
  // A failed batch stops the replay; the batches behind it were not committed.
  auto drain = [&]() -> util::Status {
    util::Status first;
    while (pipeline.in_flight() > 0) {
      util::Status s = finish_oldest();
      if (first.ok()) first = std::move(s);
    }
    return first;
  };

  constexpr std::size_t kDepth = 2;  // batches parsing or committing while the next is read
  bool more = true;
  while (more) {
    PipelineBatch b;
    Inputs in;
    MailboxItem item;
    while (in.names.size() < opts.batch_size && (more = reader.Next(item))) {
      in.names.push_back(std::move(item.name));
      b.skip.push_back(!item.error.ok());
      in.read_errors.push_back(std::move(item.error));
      stats.bytes += item.bytes.size();
      b.raws.push_back(std::move(item.bytes));
    }
    if (in.names.empty()) break;
    base.received_at = clock.NowSeconds();
    b.sources.assign(in.names.size(), base);
    while (pipeline.in_flight() >= kDepth) {
      if (util::Status s = finish_oldest(); !s.ok()) {
        (void)drain();
        return s;
      }
    }
    in_flight.push_back(std::move(in));
    pipeline.Submit(std::move(b));
  }
  if (util::Status s = drain(); !s.ok()) return s;
  return stats;
}

}  // namespace engine
