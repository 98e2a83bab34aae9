#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <algorithm>

#include "cli/cli.h"

namespace cli {

void PrintError(const std::string& what) { std::fprintf(stderr, "deskmail: %s\n", what.c_str()); }

std::unique_ptr<store::Store> Context::OpenStore(bool read_only) const {
  if (read_only && !std::filesystem::exists(std::filesystem::path(data_dir) / "data.mdb")) {
    PrintError(data_dir +
               ": no deskmail store here yet (run `deskmail replay` or `deskmail run` first)");
    return nullptr;
  }
  store::Options opts;
  opts.read_only = read_only;
  // A cap on the store's size, for operators who want the store to stop
  // with "map full" before it fills the disk: [store] max_map_mib. The
  // variable (bytes) overrides it, for tests that need a cap below 1 MiB
  // steps (the reliability harness checks the "map full" message).
  opts.max_map_size = static_cast<std::uint64_t>(config.store_max_map_mib) << 20;
  if (const char* cap = std::getenv("DESKMAIL_STORE_MAX_MAP_BYTES"); cap != nullptr && *cap) {
    const unsigned long long v = std::strtoull(cap, nullptr, 10);
    if (v > 0) opts.max_map_size = v;
  }
  opts.initial_map_size = std::min<std::uint64_t>(opts.initial_map_size, opts.max_map_size);
  auto st = store::Store::Open(data_dir, opts);
  if (!st.ok()) {
    PrintError(data_dir + ": " + st.status().ToString());
    return nullptr;
  }
  return std::move(st).value();
}

}  // namespace cli
