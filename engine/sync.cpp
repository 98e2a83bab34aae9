#include "engine/sync.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <vector>

#include "engine/pipeline.h"
#include "util/metrics.h"

namespace engine {
namespace {

using Kind = recovery::Outcome::Kind;

util::Status PostAction(imap::Session& session, const config::AccountConfig& a, std::uint32_t uid) {
  switch (a.post_action.kind) {
    case config::PostAction::Kind::kNone:
      return {};
    case config::PostAction::Kind::kSeen:
      return session.MarkSeen(uid);
    case config::PostAction::Kind::kMove:
      return session.Move(uid, a.post_action.folder);
  }
  return {};
}

// A run stopped between a commit and its moves (a crash, a dropped
// connection, a failed MOVE) leaves stored mail in the folder below the
// checkpoint, where no fetch sees it again: move it now. \Seen is not
// caught up: it loses nothing, and someone working in the mailbox may mark
// mail unread on purpose, which a catch-up would undo at every pass.
util::Status CatchUpMoves(store::Store& store, imap::Session& session,
                          const config::AccountConfig& a, const std::string& folder,
                          const store::Checkpoint& cp) {
  if (a.post_action.kind != config::PostAction::Kind::kMove || cp.last_uid == 0) return {};
  auto listed = session.ListFrom(1);
  if (!listed.ok()) return listed.status();
  std::vector<std::uint32_t> left;
  util::Status rs = store.Read([&](store::ReadTxn& txn) {
    for (const auto& m : *listed) {
      if (m.uid > cp.last_uid) break;
      if (txn.FindBySource(a.name, ImapSourceKey(folder, cp.uidvalidity, m.uid))) {
        left.push_back(m.uid);
      }
    }
    return txn.error();
  });
  if (!rs.ok()) return rs;
  if (left.empty()) return {};
  spdlog::info("account {}: {}: moving {} stored message(s) an interrupted run left behind", a.name,
               folder, left.size());
  for (std::uint32_t uid : left) {
    if (util::Status s = PostAction(session, a, uid); !s.ok()) return s;
  }
  return {};
}

}  // namespace

std::string ImapSourceKey(const std::string& folder, std::uint32_t uidvalidity, std::uint32_t uid) {
  return "imap:" + folder + "/" + std::to_string(uidvalidity) + "/" + std::to_string(uid);
}

util::Result<SyncStats> SyncFolder(store::Store& store, imap::Session& session,
                                   const config::AccountConfig& account, const std::string& folder,
                                   const CommitFn& commit_one, const SyncOptions& opts,
                                   const util::Clock& clock, std::stop_token stop) {
  SyncStats stats;
  const bool writable = account.post_action.WritesFolder();
  auto box = writable ? session.Select(folder) : session.Examine(folder);
  if (!box.ok()) return box.status();

  std::optional<store::Checkpoint> cp;
  util::Status rs = store.Read([&](store::ReadTxn& txn) {
    cp = txn.GetCheckpoint(account.name, folder);
    return util::Status{};
  });
  if (!rs.ok()) return rs;

  std::uint32_t from = 1;
  if (cp && cp->uidvalidity == box->uidvalidity) {
    from = cp->last_uid + 1;
    if (util::Status s = CatchUpMoves(store, session, account, folder, *cp); !s.ok()) return s;
  } else if (cp) {
    // The server renumbered the folder: everything is new by UID. The
    // Message-ID dedupe in recovery::Commit keeps tickets single.
    stats.uidvalidity_changed = true;
    spdlog::warn("account {}: {} UIDVALIDITY changed {} -> {}: rescanning the folder", account.name,
                 folder, cp->uidvalidity, box->uidvalidity);
  }
  if (box->uidnext != 0 && from >= box->uidnext && !stats.uidvalidity_changed) return stats;

  auto listed = session.ListFrom(from);
  if (!listed.ok()) return listed.status();
  if (listed->empty()) {
    if (stats.uidvalidity_changed) {
      // Record the new UIDVALIDITY so the next pass does not rescan again.
      util::Status ws = store.Write([&](store::WriteTxn& txn) {
        return txn.PutCheckpoint(account.name, folder, {box->uidvalidity, 0, clock.NowSeconds()});
      });
      if (!ws.ok()) return ws;
    }
    return stats;
  }
  const unsigned workers = ParseWorkers(opts.parse_workers);
  // A long backfill (after an outage, or a first sync) reports its progress.
  const std::size_t total = listed->size();
  const bool report_progress = total >= opts.progress_threshold;
  if (report_progress) {
    spdlog::info("account {}: {}: {} messages to fetch above UID {}", account.name, folder, total,
                 from - 1);
  }
  const std::uint32_t uidvalidity = box->uidvalidity;

  // Each fetched batch is parsed, then committed together with the folder's
  // new checkpoint in one transaction, so a crash never loses or doubles a
  // message; meanwhile the session fetches the next batch.
  IngestPipeline pipeline(store, commit_one, workers);
  std::deque<std::vector<std::uint32_t>> uids_in_flight;
  auto submit = [&](std::vector<imap::FetchedMessage> fetched) {
    PipelineBatch b;
    std::vector<std::uint32_t> uids;
    const std::int64_t now = clock.NowSeconds();
    for (auto& m : fetched) {
      uids.push_back(m.uid);
      b.sources.push_back({account.name, ImapSourceKey(folder, uidvalidity, m.uid), "imap", now});
      b.sources.back().arrived_at = m.internal_date.time_since_epoch().count();  // INTERNALDATE
      b.raws.push_back(std::move(m.raw));
    }
    b.also = [&account, &folder, uidvalidity, last_uid = uids.back(), now](store::WriteTxn& txn) {
      return txn.PutCheckpoint(account.name, folder, {uidvalidity, last_uid, now});
    };
    uids_in_flight.push_back(std::move(uids));
    pipeline.Submit(std::move(b));
  };
  // Counts the oldest batch in flight, then runs its post-actions: after
  // the commit, so a crash between the two leaves a move to CatchUpMoves,
  // never a ticket to chance.
  auto finish_oldest = [&](bool run_actions) -> util::Status {
    PipelineResult c = pipeline.Next();
    const std::vector<std::uint32_t> uids = std::move(uids_in_flight.front());
    uids_in_flight.pop_front();
    if (!c.outcomes.ok()) return c.outcomes.status();
    for (std::size_t i = 0; i < c.outcomes->size(); ++i) {
      const recovery::Outcome& o = (*c.outcomes)[i];
      ++stats.fetched;
      stats.Add(o);
      if (o.kind == Kind::kUnprocessable) {
        spdlog::warn("account {}: {} UID {}: unprocessable, kept raw as message {}: {}",
                     account.name, folder, uids[i], o.message_id, o.detail);
      } else if (o.kind == Kind::kEmpty) {
        spdlog::warn("account {}: {} UID {}: empty message, skipped", account.name, folder,
                     uids[i]);
      }
    }
    if (report_progress) {
      spdlog::info("account {}: {}: {}/{} fetched", account.name, folder, stats.fetched, total);
    }
    if (writable && run_actions) {
      for (std::uint32_t uid : uids) {
        if (auto st = PostAction(session, account, uid); !st.ok()) return st;
      }
    }
    return {};
  };
  // Finishes every batch still in flight; the first failure is returned.
  auto drain = [&](bool run_actions) -> util::Status {
    util::Status first;
    while (pipeline.in_flight() > 0) {
      util::Status s = finish_oldest(run_actions && first.ok());
      if (first.ok()) first = std::move(s);
    }
    return first;
  };

  // Without post-actions, two batches may wait on the writer (one parsing,
  // one committing) while the next is fetched. With them, one: a batch
  // committed behind a failed post-action would never get its own.
  const std::size_t depth = writable ? 1 : 2;
  for (const auto& batch : imap::PlanBatches(std::move(listed).value(), opts.limits)) {
    if (stop.stop_requested()) break;
    const auto fetch_start = std::chrono::steady_clock::now();
    auto fetched = session.FetchMessages(batch);  // overlaps parsing and committing
    util::FetchBatchLatency().Observe(            // the console's /metrics histogram
        std::chrono::duration<double>(std::chrono::steady_clock::now() - fetch_start).count());
    // A failed commit outranks a failed fetch: the store is the one in trouble.
    if (!fetched.ok()) {
      util::Status s = drain(/*run_actions=*/true);
      return s.ok() ? fetched.status() : s;
    }
    while (pipeline.in_flight() >= depth) {
      if (util::Status s = finish_oldest(/*run_actions=*/true); !s.ok()) {
        (void)drain(/*run_actions=*/false);
        return s;
      }
    }
    if (fetched->empty()) continue;  // expunged meanwhile
    submit(std::move(fetched).value());
  }
  if (util::Status s = drain(/*run_actions=*/true); !s.ok()) return s;
  return stats;
}

}  // namespace engine
