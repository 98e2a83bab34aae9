#include "util/metrics.h"

namespace util {

Histogram::Histogram(std::vector<double> bounds) {
  d_.bounds = std::move(bounds);
  d_.cumulative.assign(d_.bounds.size(), 0);
}

void Histogram::Observe(double value) {
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < d_.bounds.size(); ++i) {
    if (value <= d_.bounds[i]) {
      ++d_.cumulative[i];
      break;
    }
  }
  ++d_.count;
  d_.sum += value;
}

Histogram::Data Histogram::Snapshot() const {
  std::lock_guard lock(mu_);
  Data out = d_;
  for (std::size_t i = 1; i < out.cumulative.size(); ++i)
    out.cumulative[i] += out.cumulative[i - 1];
  return out;
}

Histogram& FetchBatchLatency() {
  static Histogram h({0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60});
  return h;
}

}  // namespace util
