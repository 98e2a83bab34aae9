// bench_replay MAILBOX [N...]: for each N (default 5000 20000), in separate
// child processes so peak RSS is per run:
//   replay  - the full pipeline (read, parse, thread, LMDB commit) into a fresh store
//   parse   - reading and GMime parsing alone, same messages, same threads
// and prints messages/s, MB/s, the ratio replay/parse and peak RSS.
//
// Peak RSS is split: "anon" is the process's private memory (heap, stacks),
// sampled after every batch; "total" is the kernel's high-water mark, which
// also counts pages of the LMDB map (file-backed, shared with the page cache,
// reclaimable) and therefore grows with the store. CPU seconds (user + sys of
// the child) are printed too: on a shared 2-core machine wall time is noisy.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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
  long max_anon_kb = 0;
  double cpu_seconds = 0;
};

// RssAnon of this process, from /proc/self/status (0 when unavailable).
long AnonRssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::strtol(line.c_str() + 8, nullptr, 10);
  }
  return 0;
}

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
  long anon = 0;
  auto stats = engine::Replay(
      **store, limited, opts, recovery::IngestOptions{}, clock,
      [](const std::string&, const std::string&) {},
      [&](std::uint64_t, std::uint64_t) { anon = std::max(anon, AnonRssKb()); });
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!stats.ok()) {
    std::fprintf(stderr, "replay: %s\n", stats.status().ToString().c_str());
    std::exit(1);
  }
  store->reset();
  std::filesystem::remove_all(dir);
  Result r;
  r.seconds = secs;
  r.messages = stats->inputs;
  r.bytes = stats->bytes;
  r.max_anon_kb = anon;
  return r;
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
    std::vector<util::Bytes> batch;
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
    r.max_anon_kb = std::max(r.max_anon_kb, AnonRssKb());
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
  r.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return r;
}

void Print(const char* what, const Result& r) {
  std::printf(
      "  %-10s %6llu msgs %6.2f s %6.0f msg/s %6.1f MB/s  cpu %6.2f s %6.0f msg/cpu-s  "
      "peak RSS anon %5.1f MB, total %6.1f MB\n",
      what, static_cast<unsigned long long>(r.messages), r.seconds, r.messages / r.seconds,
      r.bytes / 1e6 / r.seconds, r.cpu_seconds, r.messages / r.cpu_seconds, r.max_anon_kb / 1024.0,
      r.max_rss_kb / 1024.0);
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
    std::printf("  ratio replay/parse-only: %.2f (wall throughput), %.2f (per CPU second)\n",
                (replay.messages / replay.seconds) / (parse.messages / parse.seconds),
                (replay.messages / replay.cpu_seconds) / (parse.messages / parse.cpu_seconds));
  }
  return 0;
}
