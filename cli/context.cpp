#include <cstdio>
#include <filesystem>

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
  auto st = store::Store::Open(data_dir, opts);
  if (!st.ok()) {
    PrintError(data_dir + ": " + st.status().ToString());
    return nullptr;
  }
  return std::move(st).value();
}

}  // namespace cli
