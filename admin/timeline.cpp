// The outage timeline: messages per hour of arrival over the last 30 days,
// with each outage window shaded and labelled with its cause and recovered
// counts. Drawn as SVG from templates/timeline.mustache (no script).
#include <algorithm>

#include "admin/detail/app.h"
#include "admin/render.h"
#include "util/clock.h"

namespace admin::detail {
namespace {
constexpr std::int64_t kHours = 30 * 24;
constexpr int kWidth = 720, kPlotTop = 34, kPlotHeight = 90;
}  // namespace

nlohmann::json TimelineData(store::ReadTxn& txn, const std::string& account,
                            const nlohmann::json& outages, std::int64_t now) {
  const std::int64_t end = now - now % 3600 + 3600;  // the current hour's end
  const std::int64_t start = end - kHours * 3600;
  std::vector<std::uint64_t> all(kHours, 0), recovered(kHours, 0);
  txn.ForEachMessage([&](const store::MessageRecord& m) {
    if (m.account != account) return true;
    const std::int64_t t = m.arrived_at != 0 ? m.arrived_at : m.received_at;
    if (t < start || t >= end) return true;
    const auto h = static_cast<std::size_t>((t - start) / 3600);
    ++all[h];
    if (m.outage_id != 0) ++recovered[h];
    return true;
  });
  nlohmann::json hours = nlohmann::json::array();
  for (std::int64_t h = 0; h < kHours; ++h) {
    if (all[h] == 0) continue;
    hours.push_back({{"hour", util::FormatRfc3339(start + h * 3600)},
                     {"messages", all[h]},
                     {"recovered", recovered[h]}});
  }
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& o : outages) {
    windows.push_back({{"id", o["id"]},
                       {"start", o["start"]},
                       {"end", o["end"]},
                       {"cause", o["cause"]},
                       {"recovered", o["recovered"]},
                       {"recovered_backfill", o["recovered_backfill"]},
                       {"recovered_forward", o["recovered_forward"]}});
  }
  return {{"from", util::FormatRfc3339(start)},
          {"to", util::FormatRfc3339(end)},
          {"bucket_seconds", 3600},
          {"hours", hours},
          {"outages", windows}};
}

std::string TimelineSvg(App& app, store::ReadTxn& txn, const std::string& account,
                        const nlohmann::json& outages, std::int64_t now) {
  nlohmann::json d = TimelineData(txn, account, outages, now);
  const std::int64_t start = *util::ParseRfc3339(d["from"].get<std::string>());
  const std::int64_t end = *util::ParseRfc3339(d["to"].get<std::string>());
  std::uint64_t peak = 1;
  for (const auto& h : d["hours"]) peak = std::max(peak, h["messages"].get<std::uint64_t>());
  auto x_of = [&](std::int64_t t) {
    return std::clamp<std::int64_t>((t - start) / 3600, 0, kHours);
  };
  nlohmann::json bars = nlohmann::json::array(), windows = nlohmann::json::array();
  for (const auto& h : d["hours"]) {
    const std::int64_t t = *util::ParseRfc3339(h["hour"].get<std::string>());
    const auto n = h["messages"].get<std::uint64_t>(), r = h["recovered"].get<std::uint64_t>();
    const int height = std::max<int>(2, static_cast<int>(kPlotHeight * n / peak));
    const int rh = r == 0 ? 0 : std::max<int>(2, static_cast<int>(kPlotHeight * r / peak));
    bars.push_back(
        {{"x", x_of(t)},
         {"y", kPlotTop + kPlotHeight - height},
         {"h", height},
         {"ry", kPlotTop + kPlotHeight - rh},
         {"rh", rh},
         {"recovered", r != 0},
         {"title", h["hour"].get<std::string>().substr(0, 13) + "h: " + std::to_string(n) +
                       " arrived" + (r ? ", " + std::to_string(r) + " recovered" : "")}});
  }
  for (const auto& o : d["outages"]) {
    const std::int64_t os = *util::ParseRfc3339(o["start"].get<std::string>());
    const std::int64_t oe =
        o["end"].is_null() ? now : *util::ParseRfc3339(o["end"].get<std::string>());
    if (oe < start) continue;
    const auto x = x_of(os), w = std::max<std::int64_t>(2, x_of(oe) - x);
    std::string cause = o["cause"].get<std::string>();
    if (cause.size() > 60) cause = cause.substr(0, 57) + "...";
    windows.push_back(
        {{"x", x},
         {"w", w},
         {"lx", std::min<std::int64_t>(x, kWidth - 250)},
         {"label", "Outage #" + std::to_string(o["id"].get<std::uint64_t>()) + ": " +
                       std::to_string(o["recovered"].get<std::uint64_t>()) + " recovered (" +
                       std::to_string(o["recovered_backfill"].get<std::uint64_t>()) +
                       " backfill, " + std::to_string(o["recovered_forward"].get<std::uint64_t>()) +
                       " forwarded)"},
         {"cause", cause},
         {"open", o["end"].is_null()}});
  }
  (void)app;
  (void)end;
  return RenderTemplate("timeline", {{"bars", bars},
                                     {"windows", windows},
                                     {"width", kWidth},
                                     {"base", kPlotTop + kPlotHeight},
                                     {"from", d["from"].get<std::string>().substr(0, 10)},
                                     {"to", d["to"].get<std::string>().substr(0, 10)},
                                     {"peak", peak},
                                     {"account", account}});
}

}  // namespace admin::detail
