#include "engine/sync.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>
#include <vector>

namespace engine {
namespace {

using Kind = recovery::Outcome::Kind;

std::vector<recovery::Prepared> PrepareAll(std::vector<imap::FetchedMessage>& fetched,
                                           const recovery::Source& base, const std::string& folder,
                                           std::uint32_t uidvalidity, unsigned workers) {
  std::vector<recovery::Prepared> out(fetched.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < fetched.size(); i = next++) {
      recovery::Source src = base;
      src.source_key = ImapSourceKey(folder, uidvalidity, fetched[i].uid);
      out[i] = recovery::Prepare(std::move(src), std::move(fetched[i].raw));
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < workers && t < fetched.size(); ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return out;
}

util::Status PostAction(imap::Session& session, const AccountConfig& a, std::uint32_t uid) {
  if (a.post_action == "seen") return session.MarkSeen(uid);
  if (a.post_action.rfind("move:", 0) == 0) return session.Move(uid, a.post_action.substr(5));
  return {};
}

}  // namespace

std::string ImapSourceKey(const std::string& folder, std::uint32_t uidvalidity, std::uint32_t uid) {
  return "imap:" + folder + "/" + std::to_string(uidvalidity) + "/" + std::to_string(uid);
}

util::Result<SyncStats> SyncFolder(store::Store& store, imap::Session& session,
                                   const AccountConfig& account, const std::string& folder,
                                   const recovery::IngestOptions& ingest, const SyncOptions& opts,
                                   const util::Clock& clock, std::stop_token stop) {
  SyncStats stats;
  const bool writable = account.post_action != "none";
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
  const unsigned workers = opts.parse_workers != 0
                               ? opts.parse_workers
                               : std::max(1u, std::thread::hardware_concurrency());
  recovery::Source base{account.name, "", "imap", 0};

  for (const auto& batch : imap::PlanBatches(std::move(listed).value(), opts.limits)) {
    if (stop.stop_requested()) break;
    auto fetched = session.FetchMessages(batch);
    if (!fetched.ok()) return fetched.status();
    if (fetched->empty()) continue;  // expunged meanwhile
    std::vector<std::uint32_t> uids;
    for (const auto& m : *fetched) uids.push_back(m.uid);
    const std::uint32_t last_uid = uids.back();
    base.received_at = clock.NowSeconds();
    auto prepared = PrepareAll(*fetched, base, folder, box->uidvalidity, workers);

    std::vector<recovery::Outcome> outcomes;
    util::Status ws = store.Write([&](store::WriteTxn& txn) -> util::Status {
      outcomes.clear();
      for (const auto& p : prepared) {
        auto o = recovery::Commit(txn, p, ingest);
        if (!o.ok()) return o.status();
        outcomes.push_back(*o);
      }
      return txn.PutCheckpoint(account.name, folder,
                               {box->uidvalidity, last_uid, base.received_at});
    });
    if (!ws.ok()) return ws;

    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      ++stats.fetched;
      switch (outcomes[i].kind) {
        case Kind::kNewTicket:
          ++stats.new_tickets;
          break;
        case Kind::kThreaded:
          ++stats.threaded;
          break;
        case Kind::kIgnored:
          ++stats.ignored;
          break;
        case Kind::kUnprocessable:
          ++stats.unprocessable;
          spdlog::warn("account {}: {} UID {}: unprocessable, kept raw as message {}: {}",
                       account.name, folder, uids[i], outcomes[i].message_id, outcomes[i].detail);
          break;
        case Kind::kDuplicate:
          ++stats.duplicates;
          break;
        case Kind::kEmpty:
          spdlog::warn("account {}: {} UID {}: empty message, skipped", account.name, folder,
                       uids[i]);
          break;
      }
    }
    if (writable) {
      // After the commit: a crash between the two repeats the action, never the ticket.
      for (std::uint32_t uid : uids) {
        if (auto s = PostAction(session, account, uid); !s.ok()) return s;
      }
    }
  }
  return stats;
}

}  // namespace engine
