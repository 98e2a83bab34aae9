#include "imap/batch.h"

#include <algorithm>

namespace imap {

std::vector<std::vector<uint32_t>> PlanBatches(std::vector<UidSize> messages,
                                               const BatchLimits& limits) {
  std::sort(messages.begin(), messages.end(),
            [](const UidSize& a, const UidSize& b) { return a.uid < b.uid; });
  messages.erase(std::unique(messages.begin(), messages.end(),
                             [](const UidSize& a, const UidSize& b) { return a.uid == b.uid; }),
                 messages.end());
  const size_t max_count = std::max<size_t>(1, limits.max_count);
  std::vector<std::vector<uint32_t>> batches;
  std::vector<uint32_t> current;
  uint64_t bytes = 0;
  for (const UidSize& m : messages) {
    bool full =
        current.size() >= max_count || (!current.empty() && bytes + m.size > limits.max_bytes);
    if (full) {
      batches.push_back(std::move(current));
      current.clear();
      bytes = 0;
    }
    current.push_back(m.uid);
    bytes += m.size;
  }
  if (!current.empty()) batches.push_back(std::move(current));
  return batches;
}

std::vector<std::pair<uint32_t, uint32_t>> UidRuns(std::span<const uint32_t> uids) {
  std::vector<uint32_t> sorted(uids.begin(), uids.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<std::pair<uint32_t, uint32_t>> runs;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    runs.emplace_back(sorted[i], sorted[j]);
    i = j + 1;
  }
  return runs;
}

std::string FormatUidSet(std::span<const uint32_t> uids) {
  std::string out;
  for (const auto& [first, last] : UidRuns(uids)) {
    if (!out.empty()) out += ',';
    out += std::to_string(first);
    if (last != first) {
      out += ':';
      out += std::to_string(last);
    }
  }
  return out;
}

}  // namespace imap
