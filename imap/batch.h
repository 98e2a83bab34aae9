// Pure helpers for fetching by UID in bounded batches (tested from values).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace imap {

struct UidSize {
  uint32_t uid = 0;
  uint64_t size = 0;  // RFC822.SIZE as reported by the server
  bool operator==(const UidSize&) const = default;
};

struct BatchLimits {
  size_t max_count = 100;            // messages per UID FETCH
  uint64_t max_bytes = 32ull << 20;  // summed RFC822.SIZE per UID FETCH
};

// Splits `messages` (any order, duplicates allowed) into batches in ascending
// UID order, each holding at most max_count messages and at most max_bytes
// bytes — except that a single message larger than max_bytes gets a batch
// of its own, so nothing is ever unfetchable. max_count 0 is treated as 1.
std::vector<std::vector<uint32_t>> PlanBatches(std::vector<UidSize> messages,
                                               const BatchLimits& limits);

// Ascending runs of consecutive UIDs: {1,2,3,7} -> {{1,3},{7,7}}. Input in
// any order; duplicates are dropped.
std::vector<std::pair<uint32_t, uint32_t>> UidRuns(std::span<const uint32_t> uids);

// IMAP sequence-set syntax for UIDs, with runs collapsed: {1,2,3,7,9,10} ->
// "1:3,7,9:10". Input in any order; duplicates are dropped. Empty -> "".
std::string FormatUidSet(std::span<const uint32_t> uids);

}  // namespace imap
