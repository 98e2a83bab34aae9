#include "recovery/outage.h"

#include "recovery/detail/event.h"
#include "recovery/lifecycle.h"
#include "recovery/token_health.h"

namespace recovery {

util::Result<std::uint64_t> OpenOutage(store::WriteTxn& txn, const std::string& account,
                                       const std::string& cause, std::int64_t now) {
  AccountHealth h = LoadHealth(txn, account);
  if (h.open_outage != 0) return h.open_outage;
  store::OutageRecord o;
  o.id = txn.AllocateOutageId();
  o.account = account;
  o.start = OutageStart(h, now);
  o.detected_at = now;
  o.cause = cause;
  if (auto s = txn.PutOutage(o); !s.ok()) return s;
  h.open_outage = o.id;
  h.recovering = false;
  h.last_error = cause;
  h.last_refresh_attempt = now;
  if (auto s = SaveHealth(txn, account, h); !s.ok()) return s;
  if (auto s = detail::AppendJsonEvent(
          txn, now, "outage.opened",
          {{"outage", o.id}, {"account", account}, {"start", o.start}, {"cause", cause}});
      !s.ok()) {
    return s;
  }
  return o.id;
}

util::Result<std::uint64_t> CloseOutage(store::WriteTxn& txn, const std::string& account,
                                        std::int64_t now) {
  AccountHealth h = LoadHealth(txn, account);
  if (h.open_outage == 0) return std::uint64_t{0};
  auto o = txn.GetOutage(h.open_outage);
  std::uint64_t id = h.open_outage;
  if (o) {
    o->end = now;
    if (auto s = txn.PutOutage(*o); !s.ok()) return s;
  }
  h.open_outage = 0;
  h.recovering = true;
  h.recovering_outage = id;
  h.last_error.clear();
  if (auto s = SaveHealth(txn, account, h); !s.ok()) return s;
  if (auto s = detail::AppendJsonEvent(txn, now, "outage.closed",
                                       {{"outage", id}, {"account", account}, {"end", now}});
      !s.ok()) {
    return s;
  }
  return id;
}

std::optional<store::OutageRecord> OutageCovering(store::ReadTxn& txn, const std::string& account,
                                                  std::int64_t date) {
  std::optional<store::OutageRecord> found;
  txn.ForEachOutage([&](const store::OutageRecord& o) {
    if (o.account == account && date >= o.start && (o.end == 0 || date <= o.end)) {
      found = o;
      return false;
    }
    return true;
  });
  return found;
}

util::Status TagWithOutage(store::WriteTxn& txn, store::MessageRecord& rec) {
  std::optional<store::OutageRecord> o;
  if (rec.channel == "imap" && LoadHealth(txn, rec.account).recovering) {
    // The backfill after a reauthentication fetches from the checkpoint the
    // outage started at (nothing was fetched meanwhile): all of it arrived
    // during the outage, whatever its Date: says and whatever clock stamped it.
    txn.ForEachOutage([&](const store::OutageRecord& x) {
      if (x.account == rec.account && x.end != 0) o = x;
      return true;
    });
  }
  if (!o) {
    // Otherwise by arrival (INTERNALDATE) when the mailbox said; the
    // sender's Date: only for mail with no arrival time (replayed files).
    const std::int64_t when = rec.arrived_at != 0 ? rec.arrived_at : rec.date;
    if (when == 0) return {};
    o = OutageCovering(txn, rec.account, when);
  }
  if (!o) return {};
  rec.outage_id = o->id;
  ++o->recovered;
  return txn.PutOutage(*o);
}

util::Status RecordSyncSuccess(store::WriteTxn& txn, const std::string& account, std::int64_t now) {
  AccountHealth h = LoadHealth(txn, account);
  h.last_sync = now;
  h.last_error.clear();
  const bool was_recovering = h.recovering;
  const std::uint64_t outage = h.recovering_outage;
  h.recovering = false;
  h.recovering_outage = 0;
  if (auto s = SaveHealth(txn, account, h); !s.ok()) return s;
  if (!was_recovering) return {};
  // The backfill is done: say which outage it closed and what it brought in.
  nlohmann::json ev = {{"account", account}};
  if (outage != 0) {
    ev["outage"] = outage;
    if (auto o = txn.GetOutage(outage)) ev["recovered"] = o->recovered;
  }
  return detail::AppendJsonEvent(txn, now, "account.recovered", std::move(ev));
}

}  // namespace recovery
