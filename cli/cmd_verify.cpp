// deskmail verify: the store's consistency check (store/verify.h), read-only
// in one snapshot, so it may run beside `deskmail run`.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/cli.h"
#include "store/secret_box.h"
#include "store/verify.h"

namespace cli {
namespace {

// The master key when one exists; never creates a key file (verify writes
// nothing), and says why secrets go unchecked otherwise.
std::optional<store::SecretBox> ExistingKey(const Context& ctx, std::string& why_not) {
  const char* env = std::getenv(std::string(store::kMasterKeyEnv).c_str());
  const std::filesystem::path file = std::filesystem::path(ctx.data_dir) / store::kMasterKeyFile;
  std::error_code ec;
  if ((env == nullptr || *env == '\0') && !std::filesystem::exists(file, ec)) {
    why_not = "no master key (" + std::string(store::kMasterKeyEnv) + " unset, " + file.string() +
              " absent)";
    return std::nullopt;
  }
  auto box = store::SecretBox::Load(ctx.data_dir);
  if (!box.ok()) {
    why_not = "master key unusable: " + box.status().message();
    return std::nullopt;
  }
  return std::move(box).value();
}

}  // namespace

int CmdVerify(const Context& ctx, bool json) {
  auto st = ctx.OpenStore(/*read_only=*/true);
  if (!st) return kExitFailure;
  store::VerifyOptions opts;
  std::optional<store::SecretBox> box = ExistingKey(ctx, opts.secrets_not_checked_why);
  if (box) opts.secrets = &*box;
  auto report = store::Verify(*st, opts);
  if (!report.ok()) {
    PrintError("verify " + ctx.data_dir + ": " + report.status().ToString());
    return kExitFailure;
  }
  const store::VerifyReport& r = *report;
  if (json) {
    nlohmann::json j;
    j["store"] = ctx.data_dir;
    j["consistent"] = r.consistent();
    j["counts"] = r.counts;
    j["secrets"] = r.secrets;
    j["findings"] = nlohmann::json::array();
    for (const auto& f : r.findings) {
      j["findings"].push_back({{"check", f.check}, {"where", f.where}, {"what", f.what}});
    }
    j["findings_dropped"] = r.findings_dropped;
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    auto count = [&](const char* db) {
      auto it = r.counts.find(db);
      return it == r.counts.end() ? 0ull : static_cast<unsigned long long>(it->second);
    };
    std::printf("store %s: %llu messages, %llu tickets, %llu raw messages, %llu checkpoints\n",
                ctx.data_dir.c_str(), count("messages"), count("tickets"), count("raw_index"),
                count("sync"));
    std::printf("secrets: %s\n", r.secrets.c_str());
    for (const auto& f : r.findings) {
      std::printf("%s: %s: %s\n", f.check.c_str(), f.where.c_str(), f.what.c_str());
    }
    if (r.findings_dropped > 0) {
      std::printf("... and %llu more findings\n",
                  static_cast<unsigned long long>(r.findings_dropped));
    }
    std::printf("%s\n", r.consistent()
                            ? "consistent"
                            : ("INCONSISTENT: " +
                               std::to_string(r.findings.size() + r.findings_dropped) + " findings")
                                  .c_str());
  }
  return r.consistent() ? kExitOk : kExitFailure;
}

}  // namespace cli
