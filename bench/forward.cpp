// bench_forward [N] [DIR]: the intake fixtures (fixtures/intake/*.eml)
// repeated to N messages (default 50,000), parsed and unwrapped on one
// thread; parse alone is timed over the same inputs in the same run, so the
// unwrapper's own cost shows as a ratio.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mime/forward.h"
#include "mime/message.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 50000;
  const fs::path dir =
      argc > 2 ? fs::path(argv[2]) : fs::path(DESKMAIL_SOURCE_DIR) / "fixtures/intake";
  std::vector<std::string> inputs;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".eml") continue;
    std::ifstream in(e.path(), std::ios::binary);
    inputs.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "bench_forward: no .eml files in %s\n", dir.c_str());
    return 2;
  }
  mime::Init();
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < n; ++i) bytes += inputs[i % inputs.size()].size();

  auto time = [&](bool unwrap, std::size_t& forwards) {
    forwards = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      auto m = mime::Parse(inputs[i % inputs.size()]);
      if (unwrap && m.ok() && mime::UnwrapForward(*m)) ++forwards;
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  std::size_t ignored = 0, forwards = 0;
  double parse = time(false, ignored);
  double full = time(true, forwards);
  std::printf("bench_forward: %zu messages (%zu fixtures repeated), %.1f MB, 1 thread\n", n,
              inputs.size(), bytes / 1e6);
  std::printf("  parse only        %8.0f msg/s  %6.1f MB/s\n", n / parse, bytes / 1e6 / parse);
  std::printf("  parse + unwrap    %8.0f msg/s  %6.1f MB/s  (%zu forwards found)\n", n / full,
              bytes / 1e6 / full, forwards);
  std::printf("  ratio (parse+unwrap)/(parse only) throughput: %.2f\n", parse / full);
  return 0;
}
