// deskmail accounts | reauth: token health for operators, and the device
// authorization grant that renews an account's consent.
#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli/cli.h"
#include "cli/views.h"
#include "engine/alerts.h"
#include "oauth/reauth.h"
#include "oauth/source.h"
#include "recovery/outage.h"
#include "recovery/token_health.h"

namespace cli {
namespace {

struct AccountView {
  const config::AccountConfig* cfg;
  recovery::AccountSnapshot snap;  // the same snapshot the console reads
};

util::Result<std::vector<AccountView>> LoadViews(const Context& ctx, store::Store* st,
                                                 std::int64_t now) {
  std::vector<AccountView> views;
  for (const auto& a : ctx.config.accounts) {
    AccountView v{&a, {}};
    v.snap.account = a.name;
    v.snap.state = recovery::StateAt(v.snap.health, engine::PolicyFor(a), now);
    views.push_back(std::move(v));
  }
  if (st == nullptr) return views;
  util::Status s = st->Read([&](store::ReadTxn& txn) {
    for (auto& v : views) v.snap = engine::SnapshotOf(txn, *v.cfg, now);
    return util::Status{};
  });
  if (!s.ok()) return s;
  return views;
}

}  // namespace

int CmdAccounts(const Context& ctx, bool json) {
  if (ctx.config.accounts.empty()) {
    PrintError("accounts: no [[account]] in " +
               (ctx.config.path.empty() ? "the config" : ctx.config.path));
    return kExitUsage;
  }
  std::unique_ptr<store::Store> st;
  if (std::filesystem::exists(std::filesystem::path(ctx.data_dir) / "data.mdb")) {
    st = ctx.OpenStore(/*read_only=*/true);
    if (!st) return kExitFailure;
  }
  const std::int64_t now = ctx.clock.NowSeconds();
  auto views = LoadViews(ctx, st.get(), now);
  if (!views.ok()) {
    PrintError(ctx.data_dir + ": " + views.status().ToString());
    return kExitFailure;
  }
  // The banner names the smallest alert window among the expiring accounts.
  std::optional<int> banner_days;
  for (const auto& v : *views) {
    if (v.snap.state == recovery::TokenState::kExpiring) {
      banner_days = std::min(banner_days.value_or(v.cfg->alert_days), v.cfg->alert_days);
    }
  }
  if (json) {
    nlohmann::json out;
    util::Status rs = util::Status{};
    if (st) {
      rs = st->Read([&](store::ReadTxn& txn) {
        out = AccountsReport(ctx.config, &txn, now);
        return util::Status{};
      });
    } else {
      out = AccountsReport(ctx.config, nullptr, now);
    }
    if (!rs.ok()) {
      PrintError(ctx.data_dir + ": " + rs.ToString());
      return kExitFailure;
    }
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  if (banner_days) std::printf("%s\n\n", recovery::AlertBanner(*banner_days).c_str());
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : *views) {
    const auto& deadline = v.snap.deadline;
    const auto& days = v.snap.days_left;
    std::string outages;
    for (const auto& o : v.snap.outages) {
      outages += (outages.empty() ? "#" : ", #") + std::to_string(o.id) +
                 (o.end == 0 ? " open since " + FormatDate(o.start)
                             : " recovered " + std::to_string(o.recovered));
    }
    rows.push_back({v.cfg->name, recovery::TokenStateName(v.snap.state),
                    deadline ? FormatDate(*deadline) : "-", days ? std::to_string(*days) : "-",
                    FormatDate(v.snap.health.last_sync), outages.empty() ? "-" : outages});
  }
  std::fputs(
      RenderTable({"ACCOUNT", "STATE", "REAUTH BY", "DAYS", "LAST SYNC", "OUTAGES"}, rows, 140)
          .c_str(),
      stdout);
  for (const auto& v : *views) {
    if (!v.snap.health.last_error.empty()) {
      std::printf("%s: %s\n", v.cfg->name.c_str(), Shown(v.snap.health.last_error).c_str());
    }
  }
  return kExitOk;
}

namespace {

int ReauthOne(const Context& ctx, store::Store& st, std::shared_ptr<const store::SecretBox> box,
              const config::AccountConfig& a) {
  if (!oauth::UsesOAuthRefresh(a) || a.client_id.empty()) {
    PrintError("reauth: account " + a.name + " does not use OAuth refresh (auth = \"" +
               std::string(config::Name(a.auth)) + "\", client_id " +
               (a.client_id.empty() ? "unset" : "set") + ")");
    return kExitUsage;
  }
  std::printf("== %s (%s)\n", a.name.c_str(), a.address.c_str());
  std::fflush(stdout);
  oauth::DeviceFlowResult r = oauth::RunDeviceFlow(
      oauth::EndpointsFor(a), a.client_id, oauth::ClientSecretFor(a), oauth::ScopeFor(a),
      [&](const oauth::DeviceCode& code) {
        // Both come from the identity provider: shown, never interpreted.
        std::printf("To sign in, open %s and enter the code %s\n",
                    Shown(code.verification_uri).c_str(), Shown(code.user_code).c_str());
        std::printf("(waiting for the sign-in; the code is valid for %lld minutes)\n",
                    static_cast<long long>(code.expires_in / 60));
        std::fflush(stdout);
      },
      [](std::chrono::seconds d) { std::this_thread::sleep_for(d); }, oauth::HttpOptions{});
  if (!r.ok) {
    PrintError("reauth " + a.name + ": " + Shown(r.error));
    return kExitFailure;
  }
  auto done =
      oauth::CompleteReauth(st, *box, a, r.tokens->refresh_token, ctx.clock.NowSeconds(), "device");
  if (!done.ok()) {
    PrintError("reauth " + a.name + ": " + done.status().ToString());
    return kExitFailure;
  }
  std::printf("%s: reauthenticated; the next deadline is %s.\n", a.name.c_str(),
              util::FormatRfc3339(done->deadline).c_str());
  if (done->closed_outage != 0) {
    std::printf("%s: outage #%llu closed; the next sync backfills every message of the gap.\n",
                a.name.c_str(), static_cast<unsigned long long>(done->closed_outage));
  }
  return kExitOk;
}

}  // namespace

int CmdReauth(const Context& ctx, const std::string& account, bool expiring) {
  if (account.empty() == !expiring) {
    PrintError("reauth: name one ACCOUNT, or give --expiring");
    return kExitUsage;
  }
  std::vector<const config::AccountConfig*> todo;
  if (!expiring) {
    const config::AccountConfig* a = ctx.config.FindAccount(account);
    if (a == nullptr) {
      PrintError("reauth: no account \"" + account + "\" in " +
                 (ctx.config.path.empty() ? "the config" : ctx.config.path));
      return kExitUsage;
    }
    todo.push_back(a);
  }
  auto st = ctx.OpenStore(/*read_only=*/false);
  if (!st) return kExitFailure;
  // Never a new key while sealed tokens exist; a key that does not open
  // some of them is said, and reauth goes on (it replaces those tokens).
  oauth::MasterKey key = oauth::LoadMasterKey(*st, ctx.data_dir, ctx.config.accounts);
  if (!key.box) {
    PrintError("reauth: " + key.error);
    return kExitFailure;
  }
  if (!key.error.empty()) PrintError("reauth: warning: " + key.error);
  auto shared_box = key.box;
  if (expiring) {
    const std::int64_t now = ctx.clock.NowSeconds();
    auto views = LoadViews(ctx, st.get(), now);
    if (!views.ok()) {
      PrintError(views.status().ToString());
      return kExitFailure;
    }
    for (const auto& v : *views) {
      auto state = v.snap.state;
      if (state == recovery::TokenState::kExpiring || state == recovery::TokenState::kExpired) {
        todo.push_back(v.cfg);
      }
    }
    if (todo.empty()) {
      std::printf("no account is expiring or expired\n");
      return kExitOk;
    }
  }
  int rc = kExitOk;
  for (const config::AccountConfig* a : todo) {
    int r = ReauthOne(ctx, *st, shared_box, *a);
    if (r != kExitOk) rc = r;
  }
  return rc;
}

}  // namespace cli
