// What a folder pass committed, even when the pass failed midway (a dropped
// connection, a stop): SyncFolder's own counts are lost with its error, so
// `run --once` would under-count everything committed before a reconnect.
//
// The tally wraps the CommitFn and notes each outcome by UID. After a
// failed pass it keeps only the UIDs the folder's checkpoint covers: the
// checkpoint is written in the transaction of the messages it covers, so
// those are exactly the committed ones (a transaction that aborted left the
// checkpoint where it was).
//
// Thread-safety: fn() may run on the pipeline's writer thread while the
// owner waits in SyncFolder; the other members are for the owner.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "engine/batch.h"
#include "engine/sync.h"
#include "store/records.h"

namespace engine {

class CommitTally {
 public:
  explicit CommitTally(CommitFn inner);
  // Pass this to SyncFolder instead of the inner function.
  const CommitFn& fn() const { return fn_; }
  // Forgets what was noted (call before each pass).
  void Clear();
  // Counts of the outcomes noted since Clear() that `cp` covers.
  SyncStats Committed(const std::optional<store::Checkpoint>& cp) const;

 private:
  const CommitFn inner_;
  CommitFn fn_;
  mutable std::mutex mu_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, recovery::Outcome::Kind>
      noted_;  // GUARDED_BY(mu_), by (uidvalidity, uid)
};

// (uidvalidity, uid) of "imap:FOLDER/UIDVALIDITY/UID" (the folder may hold
// '/'); nullopt for other keys.
std::optional<std::pair<std::uint32_t, std::uint32_t>> ParseImapSourceKey(std::string_view key);

}  // namespace engine
