#include "engine/replay.h"

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
  const std::uint64_t total = reader.Count().value_or(0);
  recovery::Source base;
  base.account = opts.account;
  base.channel = opts.channel;

  bool more = true;
  while (more) {
    std::vector<std::string> names, raws;
    std::vector<util::Status> read_errors;
    std::vector<bool> skip;
    MailboxItem item;
    while (names.size() < opts.batch_size && (more = reader.Next(item))) {
      names.push_back(std::move(item.name));
      skip.push_back(!item.error.ok());
      read_errors.push_back(std::move(item.error));
      stats.bytes += item.bytes.size();
      raws.push_back(std::move(item.bytes));
    }
    if (names.empty()) break;
    base.received_at = clock.NowSeconds();
    std::vector<recovery::Source> sources(names.size(), base);
    auto prepared = PrepareAll(sources, raws, workers);
    auto outcomes = CommitAll(store, prepared, ingest, skip);
    if (!outcomes.ok()) return outcomes.status();

    for (std::size_t i = 0; i < names.size(); ++i) {
      ++stats.inputs;
      if (skip[i]) {
        ++stats.unreadable;
        problem(names[i], "cannot read: " + read_errors[i].message());
        continue;
      }
      const recovery::Outcome& o = (*outcomes)[i];
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
      const auto& m = prepared[i].message;
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
  }
  return stats;
}

}  // namespace engine
