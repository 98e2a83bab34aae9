// Bounds how many accounts log in at once, so that one `deskmail run` with
// hundreds of accounts does not hit a server's login limit (Dovecot's
// imap-login process_limit is 100 by default) all at the same instant.
//
// Additive increase, multiplicative decrease, as TCP does: a login the
// server refused as busy ("connection queue full", [UNAVAILABLE], a BYE
// instead of a greeting) halves the number of concurrent logins; each
// successful one raises it by one, up to the configured maximum.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace engine {

class ConnectGate {
 public:
  // max_concurrent <= 0 means no bound.
  explicit ConnectGate(int max_concurrent);

  // Waits for a login slot. False when `stop` was requested first.
  bool Acquire(std::stop_token stop);
  // Gives the slot back; `server_busy` when the server refused us as overloaded.
  void Release(bool server_busy);

  int limit() const;
  int in_use() const;

 private:
  const int max_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  int limit_;       // GUARDED_BY(mu_)
  int in_use_ = 0;  // GUARDED_BY(mu_)
};

// A held slot; released on destruction (as not busy unless MarkBusy()).
class ConnectSlot {
 public:
  ConnectSlot() = default;
  explicit ConnectSlot(ConnectGate* gate) : gate_(gate) {}
  ~ConnectSlot() { Release(); }
  ConnectSlot(ConnectSlot&& o) noexcept : gate_(o.gate_), busy_(o.busy_) { o.gate_ = nullptr; }
  ConnectSlot& operator=(ConnectSlot&&) = delete;
  void MarkBusy() { busy_ = true; }
  void Release() {
    if (gate_ != nullptr) gate_->Release(busy_);
    gate_ = nullptr;
  }

 private:
  ConnectGate* gate_ = nullptr;
  bool busy_ = false;
};

}  // namespace engine
