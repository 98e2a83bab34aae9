#include "engine/replay.h"

#include <atomic>
#include <thread>
#include <vector>

namespace engine {
namespace {

using Kind = recovery::Outcome::Kind;

struct Slot {
  std::string name;
  util::Status read_error;
  recovery::Prepared prepared;
};

// Parses slots[i] for every i, on `workers` threads.
void ParseAll(std::vector<Slot>& slots, std::vector<std::string>& raws,
              const recovery::Source& base, unsigned workers) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < slots.size(); i = next++) {
      if (!slots[i].read_error.ok()) continue;
      slots[i].prepared = recovery::Prepare(base, std::move(raws[i]));
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < workers && t < slots.size(); ++t) threads.emplace_back(work);
  work();
  for (auto& th : threads) th.join();
}

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
  const unsigned workers =
      opts.workers != 0 ? opts.workers : std::max(1u, std::thread::hardware_concurrency());
  const std::uint64_t total = reader.Count().value_or(0);
  recovery::Source base;
  base.account = opts.account;
  base.channel = opts.channel;

  bool more = true;
  while (more) {
    std::vector<Slot> slots;
    std::vector<std::string> raws;
    MailboxItem item;
    while (slots.size() < opts.batch_size && (more = reader.Next(item))) {
      Slot s;
      s.name = std::move(item.name);
      s.read_error = std::move(item.error);
      stats.bytes += item.bytes.size();
      raws.push_back(std::move(item.bytes));
      slots.push_back(std::move(s));
    }
    if (slots.empty()) break;
    base.received_at = clock.NowSeconds();
    ParseAll(slots, raws, base, workers);

    std::vector<recovery::Outcome> outcomes;
    util::Status st = store.Write([&](store::WriteTxn& txn) -> util::Status {
      outcomes.assign(slots.size(), recovery::Outcome{});
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (!slots[i].read_error.ok()) continue;
        auto out = recovery::Commit(txn, slots[i].prepared, ingest);
        if (!out.ok()) return out.status();
        outcomes[i] = std::move(out).value();
      }
      return {};
    });
    if (!st.ok()) return st;

    for (std::size_t i = 0; i < slots.size(); ++i) {
      ++stats.inputs;
      const Slot& s = slots[i];
      if (!s.read_error.ok()) {
        ++stats.unreadable;
        problem(s.name, "cannot read: " + s.read_error.message());
        continue;
      }
      const recovery::Outcome& o = outcomes[i];
      switch (o.kind) {
        case Kind::kNewTicket:
          ++stats.new_tickets;
          break;
        case Kind::kThreaded:
          ++stats.threaded;
          break;
        case Kind::kIgnored:
          ++stats.ignored;
          ++stats.ignored_by_reason[ClassOf(o.detail)];
          break;
        case Kind::kUnprocessable:
          ++stats.unprocessable;
          problem(s.name, "unprocessable, kept raw as message " + std::to_string(o.message_id) +
                              ": " + o.detail);
          break;
        case Kind::kDuplicate:
          ++stats.duplicates;
          break;
        case Kind::kEmpty:
          ++stats.unreadable;
          problem(s.name, o.detail + ", skipped");
          break;
      }
      const auto& m = s.prepared.message;
      if (m && !m->parse_errors.empty() && o.kind != Kind::kUnprocessable &&
          o.kind != Kind::kDuplicate) {
        ++stats.with_warnings;
        std::string what = "stored as message " + std::to_string(o.message_id) +
                           " despite damage: " + m->parse_errors.front();
        if (m->parse_errors.size() > 1) {
          what += " (+" + std::to_string(m->parse_errors.size() - 1) + " more)";
        }
        problem(s.name, what);
      }
    }
    if (progress) progress(stats.inputs, total);
  }
  return stats;
}

}  // namespace engine
