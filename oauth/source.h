// OAuth-backed IMAP credentials: the account's refresh token, sealed in the
// store, is exchanged for access tokens at the identity provider. The
// access token is cached until shortly before it expires; a rotated refresh
// token is sealed and committed before the new access token is handed out
// (forgetting to store it is how real deployments die at day 90).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "oauth/client.h"
#include "oauth/credentials.h"
#include "store/secret_box.h"
#include "store/store.h"
#include "util/clock.h"

namespace oauth {

// Name (and AEAD associated data) of an account's sealed refresh token.
std::string RefreshTokenSecretName(const std::string& account);

// Seals and stores `refresh_token` for `account` in `txn`.
util::Status StoreRefreshToken(store::WriteTxn& txn, const store::SecretBox& box,
                               const std::string& account, const std::string& refresh_token);

// The endpoints for an account: its overrides, else its provider's defaults.
OAuthEndpoints EndpointsFor(const config::AccountConfig& a);
std::string ScopeFor(const config::AccountConfig& a);
std::string ClientSecretFor(
    const config::AccountConfig& a);  // from client_secret_env, may be empty

// Whether this account gets its tokens through OAuth refresh (xoauth2 with
// a client_id and no access_token_command/file).
bool UsesOAuthRefresh(const config::AccountConfig& a);

// The master key for the OAuth accounts, checked against what the store
// holds: a missing key while sealed refresh tokens exist is an error (never
// a new key: that would orphan them silently), and a key that does not open
// an account's sealed token refuses that account. `refused` names the
// accounts that cannot start, `error` says why in one line (empty when
// none); `box` is null only when the key is missing or malformed.
struct MasterKey {
  std::shared_ptr<const store::SecretBox> box;
  std::vector<std::string> refused;
  std::string error;
};
MasterKey LoadMasterKey(store::Store& store, const std::string& data_dir,
                        const std::vector<config::AccountConfig>& accounts);

class OAuthCredentialSource : public CredentialSource {
 public:
  OAuthCredentialSource(const config::AccountConfig& a, store::Store& store,
                        std::shared_ptr<const store::SecretBox> box, const util::Clock& clock,
                        HttpOptions http = {});

  // Errors: kNotFound (never authorized: run `deskmail reauth`),
  // kAuthRejected with "expired: ..." (invalid_grant and friends: an
  // outage) or "invalid_client: ..." (the app registration's secret),
  // kTransient (retry after retry_after()), kCorruption (sealed token
  // does not open).
  util::Result<Secret> Get(bool refresh) override;

  // Set after a transient failure that named a delay (HTTP Retry-After).
  std::optional<std::chrono::seconds> retry_after() const override { return retry_after_; }

 private:
  const config::AccountConfig& a_;
  store::Store& store_;
  std::shared_ptr<const store::SecretBox> box_;
  const util::Clock& clock_;
  HttpOptions http_;
  std::mutex mu_;  // one refresh in flight per account
  std::string access_token_;
  std::int64_t access_expires_at_ = 0;
  std::optional<std::chrono::seconds> retry_after_;
};

}  // namespace oauth
