#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/cli.h"
#include "engine/replay.h"

namespace cli {
namespace {

// A one-line progress bar on a terminal; nothing when stderr is a file or pipe.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO) != 0) {}
  ~ProgressBar() { Clear(); }
  void Clear() {
    if (drawn_) std::fputs("\r\033[K", stderr);
    drawn_ = false;
  }
  void Update(std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (secs < 0.5 && done != total) return;  // short replays draw nothing
    double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    if (total > 0) {
      constexpr int kWidth = 30;
      int filled = static_cast<int>(kWidth * done / total);
      std::fprintf(stderr, "\r[%.*s%*s] %llu/%llu messages, %.0f/s", filled,
                   "==============================", kWidth - filled, "",
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                   rate);
    } else {
      std::fprintf(stderr, "\r%llu messages, %.0f/s", static_cast<unsigned long long>(done), rate);
    }
    drawn_ = true;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

void PrintSummary(const std::string& path, const char* format, const std::string& account,
                  const engine::ReplayStats& s) {
  std::printf("replayed %s (%s) into account \"%s\": %llu inputs\n", path.c_str(), format,
              account.c_str(), static_cast<unsigned long long>(s.inputs));
  auto row = [](const char* label, std::uint64_t n, const std::string& extra = "") {
    std::printf("  %-22s %6llu%s\n", label, static_cast<unsigned long long>(n), extra.c_str());
  };
  row("tickets opened", s.new_tickets);
  row("threaded replies", s.threaded);
  std::string reasons;
  for (const auto& [reason, n] : s.ignored_by_reason) {
    reasons += (reasons.empty() ? "" : ", ") + reason + " " + std::to_string(n);
  }
  row("ignored", s.ignored, reasons.empty() ? "" : "  (" + reasons + ")");
  row("unprocessable (kept)", s.unprocessable);
  row("already stored", s.duplicates);
  row("unreadable or empty", s.unreadable);
  if (s.with_warnings > 0) row("stored with damage", s.with_warnings);
}

}  // namespace

int CmdReplay(const Context& ctx, const ReplayArgs& args) {
  auto opened = engine::OpenMailbox(args.path);
  if (!opened.ok()) {
    PrintError("replay: " + opened.status().message());
    return opened.status().code() == util::Code::kNotFound ? kExitUsage : kExitFailure;
  }
  if (!ctx.config.accounts.empty() && ctx.config.FindAccount(args.account) == nullptr) {
    PrintError("replay: --account " + args.account + ": no such account in " + ctx.config.path);
    return kExitUsage;
  }
  auto store = ctx.OpenStore(/*read_only=*/false);
  if (!store) return kExitFailure;

  engine::MailboxReader& reader = **opened;
  engine::ReplayOptions opts;
  opts.account = args.account;
  ProgressBar bar(!args.quiet);
  auto problem = [&](const std::string& input, const std::string& what) {
    spdlog::warn("replay: {}: {}", input, what);
  };
  auto stats =
      engine::Replay(*store, reader, opts, ctx.ingest, ctx.clock, problem,
                     [&](std::uint64_t done, std::uint64_t total) { bar.Update(done, total); });
  bar.Clear();
  if (!stats.ok()) {
    PrintError("replay: " + args.path + ": " + stats.status().ToString() +
               " (earlier batches are committed; run again to resume)");
    return kExitFailure;
  }
  if (!args.quiet)
    PrintSummary(args.path, MailboxFormatName(reader.format()), args.account, *stats);
  return stats->unreadable + stats->unprocessable > 0 ? kExitFailure : kExitOk;
}

}  // namespace cli
