// bench_replay MAILBOX [N...]: for each N (default 5000 20000), in separate
// child processes so peak RSS is per run:
//   replay  - the full pipeline (read, parse, thread, LMDB commit) into a fresh store
//   parse   - reading and GMime parsing alone, same messages, same threads
// and prints messages/s, MB/s, the ratio replay/parse and peak RSS.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/mailbox.h"
#include "engine/replay.h"
#include "mime/message.h"

namespace {

struct Result {
  double seconds = 0;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  long max_rss_kb = 0;
};

// Passes on at most `limit` messages of another reader.
class LimitReader : public engine::MailboxReader {
 public:
  LimitReader(engine::MailboxReader& r, std::uint64_t limit) : r_(r), left_(limit) {}
  bool Next(engine::MailboxItem& item) override { return left_ > 0 && (--left_, r_.Next(item)); }
  engine::MailboxFormat format() const override { return r_.format(); }

 private:
  engine::MailboxReader& r_;
  std::uint64_t left_;
};

unsigned Workers() { return std::max(1u, std::thread::hardware_concurrency()); }

Result RunReplay(const std::string& mailbox, std::uint64_t n) {
  char tmpl[] = "/tmp/deskmail-bench-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  auto store = store::Store::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "open store: %s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  auto reader = engine::OpenMailbox(mailbox);
  LimitReader limited(**reader, n);
  engine::ReplayOptions opts;
  opts.account = "bench";
  util::SystemClock clock;
  auto t0 = std::chrono::steady_clock::now();
  auto stats = engine::Replay(**store, limited, opts, recovery::IngestOptions{}, clock,
                              [](const std::string&, const std::string&) {});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!stats.ok()) {
    std::fprintf(stderr, "replay: %s\n", stats.status().ToString().c_str());
    std::exit(1);
  }
  store->reset();
  std::filesystem::remove_all(dir);
  return {secs, stats->inputs, stats->bytes, 0};
}

Result RunParseOnly(const std::string& mailbox, std::uint64_t n) {
  auto reader = engine::OpenMailbox(mailbox);
  LimitReader limited(**reader, n);
  Result r;
  auto t0 = std::chrono::steady_clock::now();
  // Same batching and thread count as the replay, minus threading and storage.
  constexpr std::size_t kBatch = 256;
  bool more = true;
  while (more) {
    std::vector<std::string> batch;
    engine::MailboxItem item;
    while (batch.size() < kBatch && (more = limited.Next(item))) {
      r.bytes += item.bytes.size();
      batch.push_back(std::move(item.bytes));
    }
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> parsed{0};
    auto work = [&] {
      for (std::size_t i = next++; i < batch.size(); i = next++) {
        if (mime::Parse(batch[i]).ok()) ++parsed;
      }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < Workers(); ++t) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
    r.messages += batch.size();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// Runs `fn` in a child process; returns its result with the child's peak RSS.
template <class Fn>
Result InChild(Fn fn) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    mime::Init();
    Result r = fn();
    if (write(fds[1], &r, sizeof r) != sizeof r) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  Result r;
  if (read(fds[0], &r, sizeof r) != sizeof r) {
    std::fprintf(stderr, "benchmark child failed\n");
    std::exit(1);
  }
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  r.max_rss_kb = ru.ru_maxrss;
  return r;
}

void Print(const char* what, const Result& r) {
  std::printf("  %-12s %7llu msgs %8.2f s %9.0f msg/s %7.1f MB/s  peak RSS %6.1f MB\n", what,
              static_cast<unsigned long long>(r.messages), r.seconds, r.messages / r.seconds,
              r.bytes / 1e6 / r.seconds, r.max_rss_kb / 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_replay MAILBOX [N...]\n");
    return 2;
  }
  std::string mailbox = argv[1];
  std::vector<std::uint64_t> sizes;
  for (int i = 2; i < argc; ++i) sizes.push_back(std::strtoull(argv[i], nullptr, 10));
  if (sizes.empty()) sizes = {5000, 20000};
  std::printf("bench_replay %s, %u worker threads\n", mailbox.c_str(), Workers());
  for (auto n : sizes) {
    Result parse = InChild([&] { return RunParseOnly(mailbox, n); });
    Result replay = InChild([&] { return RunReplay(mailbox, n); });
    std::printf("N = %llu\n", static_cast<unsigned long long>(n));
    Print("parse only", parse);
    Print("replay", replay);
    std::printf("  ratio replay/parse-only (throughput): %.2f\n",
                (replay.messages / replay.seconds) / (parse.messages / parse.seconds));
  }
  return 0;
}
