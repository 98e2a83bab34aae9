#include "oauth/reauth.h"

#include <nlohmann/json.hpp>

#include "oauth/client.h"
#include "oauth/source.h"
#include "recovery/outage.h"
#include "recovery/token_health.h"
#include "util/clock.h"

namespace oauth {

util::Result<ReauthOutcome> CompleteReauth(store::Store& st, const store::SecretBox& box,
                                           const config::AccountConfig& a,
                                           const std::string& refresh_token, std::int64_t now,
                                           const std::string& via) {
  if (refresh_token.empty()) {
    return util::Error(util::Code::kProtocol,
                       "the identity provider returned no refresh token "
                       "(is offline_access in the scope?)");
  }
  ReauthOutcome out;
  util::Status ws = st.Write([&](store::WriteTxn& txn) -> util::Status {
    if (auto s = StoreRefreshToken(txn, box, a.name, refresh_token); !s.ok()) return s;
    recovery::AccountHealth h = recovery::LoadHealth(txn, a.name);
    h.last_interactive_auth = now;
    h.last_rotation = now;
    h.last_alert_day = -1;
    h.last_error.clear();
    if (auto s = recovery::SaveHealth(txn, a.name, h); !s.ok()) return s;
    auto c = recovery::CloseOutage(txn, a.name, now);
    if (!c.ok()) return c.status();
    out.closed_outage = *c;
    nlohmann::json ev = {{"account", a.name}, {"via", via}};
    if (*c != 0) ev["outage"] = *c;
    return txn.AppendEvent(now, "account.reauthenticated", ev.dump());
  });
  if (!ws.ok()) return ws;
  out.deadline = now + std::int64_t{a.refresh_token_lifetime_days} * 86400;
  return out;
}

std::string AuthorizeEndpointFor(const config::AccountConfig& a) {
  if (!a.authorize_endpoint.empty()) return a.authorize_endpoint;
  return DefaultAuthorizeEndpoint(std::string(config::Name(a.provider)), a.tenant);
}

namespace {
bool EqualsIgnoreCase(const std::string& x, const std::string& y) {
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
    if (lower(x[i]) != lower(y[i])) return false;
  }
  return true;
}
}  // namespace

bool IdentityMatches(const config::AccountConfig& a, const std::string& identity) {
  if (identity.empty()) return false;
  return (!a.address.empty() && EqualsIgnoreCase(identity, a.address)) ||
         (!a.username.empty() && EqualsIgnoreCase(identity, a.username));
}

}  // namespace oauth
