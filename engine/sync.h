// One pass over an account's folder: fetch every UID above the folder's
// checkpoint through the one pipeline (engine/pipeline.h), each batch
// committed together with the new checkpoint in one LMDB transaction
// (exactly once, whatever kills us).
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>

#include "config/config.h"
#include "engine/batch.h"
#include "imap/session.h"
#include "recovery/intake.h"
#include "store/store.h"
#include "util/clock.h"

namespace engine {

struct SyncOptions {
  imap::BatchLimits limits;               // per UID FETCH and per commit
  unsigned parse_workers = 0;             // 0 = one per core
  std::size_t progress_threshold = 1000;  // log progress when more messages than this wait
  std::uint64_t max_bytes_in_flight = 24ull << 20;  // raw bytes in all stages of the pipeline
};

struct SyncStats : IngestCounts {
  std::uint64_t fetched = 0;
  std::uint64_t body_bytes = 0;  // message bytes downloaded
  bool uidvalidity_changed = false;
  // After a UIDVALIDITY change: messages recognised as stored from their
  // identifying headers, whose bodies were not downloaded.
  std::uint64_t known_by_headers = 0;
};

// Syncs `folder` of `account` on an authenticated `session`, filing each
// message by `filing` (the intake rules when the account's role is
// "intake"). Runs the account's post_action on each message after its
// commit. Returns the first error; what was committed before it stays, and
// `stats` counts exactly that, failure or not (a pass cut by a dropped
// connection still reports the batches it committed).
util::Status SyncFolder(store::Store& store, imap::Session& session,
                        const config::AccountConfig& account, const std::string& folder,
                        const recovery::FilingOptions& filing, const SyncOptions& opts,
                        const util::Clock& clock, SyncStats& stats, std::stop_token stop = {});

// "imap:INBOX/1700000000/42"
std::string ImapSourceKey(const std::string& folder, std::uint32_t uidvalidity, std::uint32_t uid);

}  // namespace engine
