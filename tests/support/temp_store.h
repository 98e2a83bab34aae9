// Test helpers shared by the store, recovery and engine tests: a fresh LMDB
// store in a temporary directory, and RFC 5322 dates.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include "store/store.h"

namespace test_support {

// A new store (fsync off) in a new /tmp directory, removed at destruction.
// Derive from it to add test-specific helpers; `st` and `dir` are public.
struct TempStore {
  explicit TempStore(const std::string& prefix = "deskmail-test") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    dir = mkdtemp(tmpl.data());
    store::Options o;
    o.no_sync = true;
    auto s = store::Store::Open(dir, o);
    REQUIRE(s.ok());
    st = std::move(s).value();
  }
  ~TempStore() {
    st.reset();
    std::filesystem::remove_all(dir);
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

  std::string dir;
  std::unique_ptr<store::Store> st;
};

// "Mon, 02 Nov 2026 10:00:00 +0000"
inline std::string Rfc2822Date(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace test_support
