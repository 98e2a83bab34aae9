#include "engine/replay.h"

#include <spdlog/spdlog.h>

#include <string>

#include "engine/source.h"

namespace engine {
namespace {

using Kind = recovery::Outcome::Kind;

// What the operator hears about one input, if anything.
void Report(ReplayStats& stats, const SourceMessage& in, const recovery::Prepared& p,
            const recovery::Outcome& o, const ProblemFn& problem) {
  if (!in.error.ok()) return problem(in.name, o.detail);
  if (o.kind == Kind::kDuplicate) spdlog::info("replay: {}: duplicate: {}", in.name, o.detail);
  if (o.kind == Kind::kIgnored)
    ++stats.ignored_by_reason[mime::ClassificationName(o.classification)];
  if (o.kind == Kind::kUnprocessable) {
    problem(in.name,
            "unprocessable, kept raw as message " + std::to_string(o.message_id) + ": " + o.detail);
  }
  if (o.kind == Kind::kEmpty) {
    ++stats.unreadable;
    problem(in.name, o.detail + ", skipped");
  }
  const auto& m = p.message;
  if (m && !m->parse_errors.empty() && o.kind != Kind::kUnprocessable &&
      o.kind != Kind::kDuplicate) {
    ++stats.with_warnings;
    std::string what = "stored as message " + std::to_string(o.message_id) +
                       " despite damage: " + m->parse_errors.front();
    if (m->parse_errors.size() > 1) {
      what += " (+" + std::to_string(m->parse_errors.size() - 1) + " more)";
    }
    problem(in.name, what);
  }
}

}  // namespace

util::Result<ReplayStats> Replay(store::Store& store, MailboxReader& reader,
                                 const ReplayOptions& opts, const recovery::IngestOptions& ingest,
                                 const util::Clock& clock, const ProblemFn& problem,
                                 const ProgressFn& progress) {
  ReplayStats stats;
  MailboxSource source(reader);
  recovery::FilingOptions filing;
  filing.ingest = ingest;
  PipelineOptions po;
  po.account = opts.account;
  po.channel = opts.channel;
  po.workers = opts.workers;
  po.batch_count = opts.batch_size;
  auto run = RunPipeline(
      store, source, filing, po, clock,
      [&](const SourceMessage& in, const recovery::Prepared& p, const recovery::Outcome& o) {
        Report(stats, in, p, o, problem);
      },
      progress);
  if (!run.ok()) return run.status();
  static_cast<IngestCounts&>(stats).Add(*run);
  stats.inputs = run->inputs;
  stats.bytes = run->bytes;
  stats.unreadable += run->unreadable;
  return stats;
}

}  // namespace engine
