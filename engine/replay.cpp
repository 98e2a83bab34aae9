#include "engine/replay.h"

#include <future>
#include <optional>
#include <vector>

#include "engine/batch.h"

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

  // One batch in flight to the writer while the next is read and parsed:
  // commits stay in input order, so ticket numbers do not change.
  struct Batch {
    std::vector<std::string> names;
    std::vector<util::Status> read_errors;
    std::vector<bool> skip;
    std::vector<recovery::Prepared> prepared;
  };
  struct Pending {
    Batch batch;
    std::future<util::Result<std::vector<recovery::Outcome>>> outcomes;
  };
  std::optional<Pending> pending;
  auto finish = [&]() -> util::Status {
    if (!pending) return {};
    auto outcomes = pending->outcomes.get();
    Batch b = std::move(pending->batch);
    pending.reset();
    if (!outcomes.ok()) return outcomes.status();
    for (std::size_t i = 0; i < b.names.size(); ++i) {
      ++stats.inputs;
      if (b.skip[i]) {
        ++stats.unreadable;
        problem(b.names[i], "cannot read: " + b.read_errors[i].message());
        continue;
      }
      const recovery::Outcome& o = (*outcomes)[i];
      stats.Add(o);
      if (o.kind == Kind::kIgnored) ++stats.ignored_by_reason[ClassOf(o.detail)];
      if (o.kind == Kind::kUnprocessable) {
        problem(b.names[i], "unprocessable, kept raw as message " + std::to_string(o.message_id) +
                                ": " + o.detail);
      }
      if (o.kind == Kind::kEmpty) {
        ++stats.unreadable;
        problem(b.names[i], o.detail + ", skipped");
      }
      const auto& m = b.prepared[i].message;
      if (m && !m->parse_errors.empty() && o.kind != Kind::kUnprocessable &&
          o.kind != Kind::kDuplicate) {
        ++stats.with_warnings;
        std::string what = "stored as message " + std::to_string(o.message_id) +
                           " despite damage: " + m->parse_errors.front();
        if (m->parse_errors.size() > 1) {
          what += " (+" + std::to_string(m->parse_errors.size() - 1) + " more)";
        }
        problem(b.names[i], what);
      }
    }
    if (progress) progress(stats.inputs, total);
    return {};
  };

  bool more = true;
  while (more) {
    Batch b;
    std::vector<std::string> raws;
    MailboxItem item;
    while (b.names.size() < opts.batch_size && (more = reader.Next(item))) {
      b.names.push_back(std::move(item.name));
      b.skip.push_back(!item.error.ok());
      b.read_errors.push_back(std::move(item.error));
      stats.bytes += item.bytes.size();
      raws.push_back(std::move(item.bytes));
    }
    if (b.names.empty()) break;
    base.received_at = clock.NowSeconds();
    std::vector<recovery::Source> sources(b.names.size(), base);
    b.prepared = PrepareAll(sources, raws, workers, ingest);
    if (util::Status s = finish(); !s.ok()) return s;
    pending.emplace();
    pending->batch = std::move(b);
    pending->outcomes = std::async(std::launch::async, [&store, &commit, p = &*pending] {
      return CommitAll(store, p->batch.prepared, commit, p->batch.skip);
    });
  }
  if (util::Status s = finish(); !s.ok()) return s;
  return stats;
}

}  // namespace engine
