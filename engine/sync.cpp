#include "engine/sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "engine/pipeline.h"
#include "engine/source.h"
#include "mime/message.h"
#include "util/metrics.h"

namespace engine {
namespace {

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

// An IMAP folder as a message source: the UIDs to fetch, in batches
// bounded by the account's limits and the pipeline's byte budget; the
// checkpoint goes in each batch's transaction, the post-action after it.
class ImapFolderSource : public MessageSource {
 public:
  ImapFolderSource(imap::Session& session, const config::AccountConfig& account,
                   const std::string& folder, std::uint32_t uidvalidity,
                   std::vector<imap::UidSize> todo, std::uint32_t last_uid,
                   const imap::BatchLimits& limits, std::uint32_t uidvalidity_changes,
                   const util::Clock& clock)
      : session_(session),
        account_(account),
        folder_(folder),
        uidvalidity_(uidvalidity),
        todo_(std::move(todo)),
        last_uid_(last_uid),
        limits_(limits),
        changes_(uidvalidity_changes),
        clock_(clock) {
    std::sort(todo_.begin(), todo_.end(),
              [](const imap::UidSize& a, const imap::UidSize& b) { return a.uid < b.uid; });
  }

  util::Result<SourceBatch> Next(std::size_t max_count, std::uint64_t max_bytes,
                                 bool at_least_one) override {
    SourceBatch b;
    while (pos_ < todo_.size()) {
      std::vector<imap::UidSize> uids;  // with RFC822.SIZE: each body is allocated once
      std::uint64_t bytes = 0;
      const std::size_t count = std::max<std::size_t>(1, std::min(max_count, limits_.max_count));
      const std::uint64_t cap = std::min<std::uint64_t>(max_bytes, limits_.max_bytes);
      std::size_t i = pos_;
      for (; i < todo_.size() && uids.size() < count; ++i) {
        const bool alone = uids.empty() && at_least_one;
        if (bytes + todo_[i].size > cap && !alone) break;
        bytes += todo_[i].size;
        uids.push_back(todo_[i]);
      }
      if (uids.empty()) return b;  // the next message needs more room
      const auto fetch_start = std::chrono::steady_clock::now();
      auto fetched = session_.FetchMessages(std::span<const imap::UidSize>(uids));
      util::FetchBatchLatency().Observe(  // the console's /metrics histogram
          std::chrono::duration<double>(std::chrono::steady_clock::now() - fetch_start).count());
      if (!fetched.ok()) return fetched.status();
      pos_ = i;
      // The checkpoint covers every UID asked for, even one expunged meanwhile;
      // the last batch covers the folder up to the last UID seen.
      b.cursor = pos_ == todo_.size() ? std::max(uids.back().uid, last_uid_) : uids.back().uid;
      for (auto& m : *fetched) {
        SourceMessage s;
        s.key = ImapSourceKey(folder_, uidvalidity_, m.uid);
        s.name = folder_ + " UID " + std::to_string(m.uid);
        s.arrival = m.internal_date.time_since_epoch().count();
        s.uid = m.uid;
        s.raw = m.TakeBody();
        body_bytes_ += s.raw.size();
        b.messages.push_back(std::move(s));
      }
      b.end = pos_ == todo_.size();
      return b;  // may hold no message (all expunged): still moves the checkpoint
    }
    b.end = true;
    return b;
  }
  std::optional<std::uint64_t> Count() const override { return todo_.size() - pos_; }
  util::Status InCommit(store::WriteTxn& txn, const SourceBatch& batch) override {
    return txn.PutCheckpoint(
        account_.name, folder_,
        {uidvalidity_, static_cast<std::uint32_t>(batch.cursor), clock_.NowSeconds(), changes_});
  }
  util::Status AfterCommit(const SourceBatch& batch) override {
    if (!acts_after_commit()) return {};
    for (const auto& m : batch.messages) {
      if (util::Status s = PostAction(session_, account_, m.uid); !s.ok()) return s;
    }
    return {};
  }
  bool acts_after_commit() const override { return account_.post_action.WritesFolder(); }
  std::uint64_t body_bytes() const { return body_bytes_; }

 private:
  imap::Session& session_;
  const config::AccountConfig& account_;
  const std::string& folder_;
  const std::uint32_t uidvalidity_;
  std::vector<imap::UidSize> todo_;
  const std::uint32_t last_uid_;
  const imap::BatchLimits limits_;
  const std::uint32_t changes_;
  const util::Clock& clock_;
  std::size_t pos_ = 0;
  std::uint64_t body_bytes_ = 0;
};

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

// After a UIDVALIDITY change every UID is new, but most of the mail is not.
// Asks the server for the identifying headers and sizes only, and keeps
// for download just what the store does not have: a message of this
// account with the same Message-ID and the same size is the same bytes
// (the dedupe would drop it after the download). Mail without a Message-ID
// is downloaded: only its content digest can tell (README "Dedupe").
util::Result<std::vector<imap::UidSize>> NotYetStored(store::Store& store, imap::Session& session,
                                                      const std::string& account,
                                                      std::vector<imap::UidSize> listed,
                                                      std::uint64_t& known) {
  constexpr std::size_t kPerCommand = 500;
  std::vector<imap::UidSize> todo;
  for (std::size_t i = 0; i < listed.size(); i += kPerCommand) {
    std::vector<std::uint32_t> uids;
    for (std::size_t j = i; j < std::min(listed.size(), i + kPerCommand); ++j) {
      uids.push_back(listed[j].uid);
    }
    auto ids = session.FetchIdentity(uids);
    if (!ids.ok()) return ids.status();
    std::vector<std::pair<std::string, std::uint64_t>> heads(uids.size());
    for (const auto& m : *ids) {
      auto it = std::lower_bound(uids.begin(), uids.end(), m.uid);
      if (it == uids.end() || *it != m.uid) continue;
      auto parsed = mime::Parse(m.raw + "\r\n");
      heads[static_cast<std::size_t>(it - uids.begin())] = {
          parsed.ok() ? parsed->message_id : std::string(), m.size};
    }
    util::Status rs = store.Read([&](store::ReadTxn& txn) {
      for (std::size_t j = 0; j < uids.size(); ++j) {
        const auto& [mid, size] = heads[j];
        bool stored = false;
        if (!mid.empty() && size != 0) {
          for (std::uint64_t id : txn.FindByMessageId(mid)) {
            auto rec = txn.GetMessageHead(id);
            if (rec && rec->account == account && rec->message_id == mid && rec->raw_size == size) {
              stored = true;
              break;
            }
          }
        }
        if (stored) {
          ++known;
        } else {
          todo.push_back(listed[i + j]);
        }
      }
      return txn.error();
    });
    if (!rs.ok()) return rs;
  }
  return todo;
}

}  // namespace

std::string ImapSourceKey(const std::string& folder, std::uint32_t uidvalidity, std::uint32_t uid) {
  return "imap:" + folder + "/" + std::to_string(uidvalidity) + "/" + std::to_string(uid);
}

util::Status SyncFolder(store::Store& store, imap::Session& session,
                        const config::AccountConfig& account, const std::string& folder,
                        const recovery::FilingOptions& filing, const SyncOptions& opts,
                        const util::Clock& clock, SyncStats& stats, std::stop_token stop) {
  stats = SyncStats{};
  std::optional<store::Checkpoint> cp;
  util::Status rs = store.Read([&](store::ReadTxn& txn) {
    cp = txn.GetCheckpoint(account.name, folder);
    return txn.error();
  });
  if (!rs.ok()) return rs;

  // Read-write when the post-action needs it, and for a folder whose
  // UIDVALIDITY has changed before: Courier IMAP gives a folder no client
  // ever opened read-write a new UIDVALIDITY in every session.
  const bool churned = cp && cp->uidvalidity_changes > 0;
  const bool writable = account.post_action.WritesFolder() || churned;
  auto box = writable ? session.Select(folder) : session.Examine(folder);
  if (!box.ok()) return box.status();

  std::uint32_t from = 1;
  std::uint32_t changes = 0;
  if (cp && cp->uidvalidity == box->uidvalidity) {
    from = cp->last_uid + 1;
    if (util::Status s = CatchUpMoves(store, session, account, folder, *cp); !s.ok()) return s;
  } else if (cp) {
    stats.uidvalidity_changed = true;
    changes = cp->uidvalidity_changes + 1;
    spdlog::warn("account {}: {} UIDVALIDITY changed {} -> {}: rescanning the folder", account.name,
                 folder, cp->uidvalidity, box->uidvalidity);
    if (changes == 2) {
      spdlog::warn(
          "account {}: {}: the server gave this folder a new UIDVALIDITY on {} passes in a "
          "row. deskmail does not download stored mail again, but this is a server fault: on "
          "Courier IMAP a folder no client ever opened read-write gets a new UIDVALIDITY in "
          "every session (deskmail now opens it read-write, which usually settles it); "
          "otherwise check that the server can write its UIDVALIDITY store (Courier: "
          "courierimapuiddb, Dovecot: dovecot-uidlist) and that nothing recreates the folder",
          account.name, folder, changes);
    }
  }
  if (box->uidnext != 0 && from >= box->uidnext && !stats.uidvalidity_changed) return {};

  auto listed = session.ListFrom(from);
  if (!listed.ok()) return listed.status();
  std::uint32_t last_uid = 0;
  for (const auto& m : *listed) last_uid = std::max(last_uid, m.uid);
  std::vector<imap::UidSize> todo = std::move(listed).value();
  if (stats.uidvalidity_changed && !todo.empty()) {
    auto fresh =
        NotYetStored(store, session, account.name, std::move(todo), stats.known_by_headers);
    if (!fresh.ok()) return fresh.status();
    todo = std::move(fresh).value();
    spdlog::info(
        "account {}: {}: {} message(s) already stored (by Message-ID and size), {} to "
        "download",
        account.name, folder, stats.known_by_headers, todo.size());
  }
  if (todo.empty()) {
    if (stats.uidvalidity_changed) {
      spdlog::info("account {}: {}: rescan downloaded 0 bytes", account.name, folder);
      // Record the new UIDVALIDITY so the next pass does not rescan again.
      util::Status ws = store.Write([&](store::WriteTxn& txn) {
        return txn.PutCheckpoint(account.name, folder,
                                 {box->uidvalidity, last_uid, clock.NowSeconds(), changes});
      });
      if (!ws.ok()) return ws;
    }
    return {};
  }

  // A long backfill (after an outage, or a first sync) reports its progress.
  const std::size_t total = todo.size();
  const bool report_progress = total >= opts.progress_threshold;
  if (report_progress) {
    spdlog::info("account {}: {}: {} messages to fetch above UID {}", account.name, folder, total,
                 from - 1);
  }
  ImapFolderSource source(session, account, folder, box->uidvalidity, std::move(todo), last_uid,
                          opts.limits, changes, clock);
  PipelineOptions po;
  po.account = account.name;
  po.channel = "imap";
  po.intake = account.role == config::Role::kIntake;
  po.workers = opts.parse_workers;
  po.batch_count = opts.limits.max_count;
  // A third of the budget per batch: one fetching, one preparing, one committing.
  po.batch_bytes = std::min<std::uint64_t>(opts.limits.max_bytes, opts.max_bytes_in_flight / 3);
  po.max_bytes_in_flight = opts.max_bytes_in_flight;
  // Counted here, per input of each committed batch: RunPipeline's totals
  // are lost when a later batch fails (a dropped connection), these are not.
  auto filed = [&](const SourceMessage& in, const recovery::Prepared&, const recovery::Outcome& o) {
    using Kind = recovery::Outcome::Kind;
    ++stats.fetched;
    if (in.error.ok()) stats.Add(o);
    if (o.kind == Kind::kUnprocessable) {
      spdlog::warn("account {}: {}: unprocessable, kept raw as message {}: {}", account.name,
                   in.name, o.message_id, o.detail);
    } else if (o.kind == Kind::kEmpty) {
      spdlog::warn("account {}: {}: empty message, skipped", account.name, in.name);
    } else if (o.kind == Kind::kDuplicate) {
      spdlog::info("account {}: {}: duplicate: {}", account.name, in.name, o.detail);
    }
  };
  auto progress = [&](std::uint64_t done, std::uint64_t) {
    if (report_progress)
      spdlog::info("account {}: {}: {}/{} fetched", account.name, folder, done, total);
  };
  auto run = RunPipeline(store, source, filing, po, clock, filed, progress, stop);
  stats.body_bytes = source.body_bytes();
  if (stats.uidvalidity_changed) {
    spdlog::info("account {}: {}: rescan downloaded {} bytes for {} message(s)", account.name,
                 folder, stats.body_bytes, total);
  }
  return run.ok() ? util::Status{} : run.status();
}

}  // namespace engine
