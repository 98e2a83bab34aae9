// engine::ConnectGate (bounded, AIMD login concurrency).
#include "engine/connect_gate.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

TEST_CASE("ConnectGate never lets more than its limit in at once", "[engine][connect_gate]") {
  engine::ConnectGate gate(3);
  std::atomic<int> inside{0}, peak{0}, refused{0};
  std::vector<std::jthread> threads;
  for (int i = 0; i < 12; ++i) {
    // No Catch assertion in these threads: Catch2 v2 is not thread-safe
    // (TSan reports its counters); the main thread checks the tallies.
    threads.emplace_back([&] {
      if (!gate.Acquire({})) {
        ++refused;
        return;
      }
      int now = ++inside;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      // Stay until the gate is full (or 2 s): a slow machine (TSan) must not
      // let the holders leave before the next ones arrive.
      for (int k = 0; k < 2000 && peak.load() < 3; ++k) std::this_thread::sleep_for(1ms);
      std::this_thread::sleep_for(5ms);
      --inside;
      gate.Release(false);
    });
  }
  threads.clear();
  CHECK(refused.load() == 0);
  CHECK(peak.load() == 3);
  CHECK(gate.in_use() == 0);
}

TEST_CASE("ConnectGate halves on a busy server and grows back by one", "[engine][connect_gate]") {
  engine::ConnectGate gate(8);
  REQUIRE(gate.Acquire({}));
  gate.Release(true);
  CHECK(gate.limit() == 4);
  REQUIRE(gate.Acquire({}));
  gate.Release(true);
  REQUIRE(gate.Acquire({}));
  gate.Release(true);
  REQUIRE(gate.Acquire({}));
  gate.Release(true);
  CHECK(gate.limit() == 1);  // never below one
  for (int i = 0; i < 20; ++i) {
    REQUIRE(gate.Acquire({}));
    gate.Release(false);
  }
  CHECK(gate.limit() == 8);  // never above the configured maximum
}

TEST_CASE("ConnectGate: a stop ends the wait for a slot", "[engine][connect_gate]") {
  engine::ConnectGate gate(1);
  REQUIRE(gate.Acquire({}));
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
  });
  CHECK_FALSE(gate.Acquire(stop.get_token()));
  gate.Release(false);
}

TEST_CASE("ConnectGate with no bound admits everyone", "[engine][connect_gate]") {
  engine::ConnectGate gate(0);
  for (int i = 0; i < 50; ++i) REQUIRE(gate.Acquire({}));
  CHECK(gate.in_use() == 50);
}

}  // namespace
