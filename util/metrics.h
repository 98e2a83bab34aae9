// Process-wide measurements the console's /metrics exposes that exist only
// in memory (everything else it reads from the store).
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace util {

// A fixed-bucket histogram (Prometheus style: cumulative counts per upper bound).
// Thread-safety: Observe and Snapshot take the internal lock.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  struct Data {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // one per bound
    std::uint64_t count = 0;
    double sum = 0;
  };
  Data Snapshot() const;

 private:
  mutable std::mutex mu_;
  Data d_;  // GUARDED_BY(mu_); cumulative holds plain per-bucket counts until Snapshot
};

// Seconds one IMAP fetch batch took (engine/sync observes, admin/ shows).
Histogram& FetchBatchLatency();

}  // namespace util
