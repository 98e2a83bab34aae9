#include "engine/connect_gate.h"

#include <algorithm>

namespace engine {

ConnectGate::ConnectGate(int max_concurrent) : max_(max_concurrent), limit_(max_concurrent) {}

bool ConnectGate::Acquire(std::stop_token stop) {
  std::unique_lock lock(mu_);
  if (max_ <= 0) {
    ++in_use_;
    return !stop.stop_requested();
  }
  if (!cv_.wait(lock, stop, [&] { return in_use_ < limit_; })) return false;
  ++in_use_;
  return true;
}

void ConnectGate::Release(bool server_busy) {
  {
    std::lock_guard lock(mu_);
    --in_use_;
    if (max_ > 0) limit_ = server_busy ? std::max(1, limit_ / 2) : std::min(max_, limit_ + 1);
  }
  cv_.notify_all();
}

int ConnectGate::limit() const {
  std::lock_guard lock(mu_);
  return limit_;
}

int ConnectGate::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

}  // namespace engine
