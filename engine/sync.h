// One pass over an account's folders: fetch every UID above the folder's
// checkpoint and commit each batch of messages together with the new
// checkpoint in one LMDB transaction (exactly once, whatever kills us).
#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>

#include "config/config.h"
#include "engine/batch.h"
#include "imap/session.h"
#include "recovery/ingest.h"
#include "store/store.h"
#include "util/clock.h"

namespace engine {

struct SyncOptions {
  imap::BatchLimits limits;               // per UID FETCH and per commit
  unsigned parse_workers = 0;             // 0 = one per core
  std::size_t progress_threshold = 1000;  // log progress when more messages than this wait
};

struct SyncStats : IngestCounts {
  std::uint64_t fetched = 0;
  bool uidvalidity_changed = false;
};

// Syncs `folder` of `account` on an authenticated `session`. Runs the
// account's post_action on each message after its commit. Returns the
// first error; what was committed before it stays committed.
util::Result<SyncStats> SyncFolder(store::Store& store, imap::Session& session,
                                   const config::AccountConfig& account, const std::string& folder,
                                   const CommitFn& commit, const SyncOptions& opts,
                                   const util::Clock& clock, std::stop_token stop = {});

// "imap:INBOX/1700000000/42"
std::string ImapSourceKey(const std::string& folder, std::uint32_t uidvalidity, std::uint32_t uid);

}  // namespace engine
