// What a finished interactive sign-in does, whichever way it came (the
// device flow of `deskmail reauth`, or the console's authorization code
// flow): one routine, so the two can never drift apart.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "store/secret_box.h"
#include "store/store.h"
#include "util/result.h"

namespace oauth {

struct ReauthOutcome {
  std::int64_t deadline = 0;        // the new reauthentication deadline (fixed policy)
  std::uint64_t closed_outage = 0;  // the outage this closed, 0 when none was open
};

// In one write transaction: seals and stores `refresh_token`, restarts the
// 90-day clock (last_interactive_auth = last_rotation = now), closes the
// open outage (the account becomes recovering until its backfill finishes)
// and appends an "account.reauthenticated" event naming `via` ("device" or
// "browser"). kProtocol when refresh_token is empty (offline_access missing).
util::Result<ReauthOutcome> CompleteReauth(store::Store& st, const store::SecretBox& box,
                                           const config::AccountConfig& a,
                                           const std::string& refresh_token, std::int64_t now,
                                           const std::string& via);

// The authorize endpoint for an account: its override, else its provider's default.
std::string AuthorizeEndpointFor(const config::AccountConfig& a);

// Whether the identity that signed in (IdTokenIdentity) is this account's
// mailbox: equal, ignoring ASCII case, to its address or its IMAP username.
bool IdentityMatches(const config::AccountConfig& a, const std::string& identity);

}  // namespace oauth
