#include "oauth/source.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "recovery/token_health.h"

namespace oauth {
namespace {

using util::Code;

// Renew this long before the IdP's expiry, so a token never dies mid-command.
constexpr std::int64_t kEarlyRefreshSeconds = 120;

util::Status Classified(const OAuthError& e) {
  std::string what = e.error.empty() ? "error" : e.error;
  if (!e.aadsts.empty()) what += " " + e.aadsts;
  if (!e.description.empty()) what += ": " + e.description.substr(0, e.description.find('\n'));
  switch (e.cls) {
    case OAuthErrorClass::kExpired:
      return util::Error(Code::kAuthRejected, "expired: " + what);
    case OAuthErrorClass::kInvalidClient:
      return util::Error(Code::kAuthRejected, "invalid_client: " + what +
                                                  " (the app registration's client secret or id; "
                                                  "reauthenticating the mailbox will not fix it)");
    case OAuthErrorClass::kTransient:
      return util::Error(Code::kTransient, "token endpoint: " + what);
    case OAuthErrorClass::kTls:
      return util::Error(Code::kTls, "token endpoint: " + what);
    case OAuthErrorClass::kProtocol:
      return util::Error(Code::kProtocol, "token endpoint: " + what);
  }
  return util::Error(Code::kInternal, what);
}

}  // namespace

std::string RefreshTokenSecretName(const std::string& account) {
  return "refresh_token:" + account;
}

MasterKey LoadMasterKey(store::Store& store, const std::string& data_dir,
                        const std::vector<config::AccountConfig>& accounts) {
  MasterKey out;
  // The accounts with a sealed token, and the token of each.
  std::vector<std::pair<std::string, std::string>> sealed;
  util::Status s = store.Read([&](store::ReadTxn& txn) {
    for (const auto& a : accounts) {
      if (!UsesOAuthRefresh(a)) continue;
      if (auto v = txn.GetSecret(RefreshTokenSecretName(a.name))) sealed.emplace_back(a.name, *v);
    }
    return util::Status{};
  });
  auto names = [&](const std::vector<std::string>& list) {
    std::string n;
    for (const auto& x : list) n += (n.empty() ? "" : ", ") + x;
    return n;
  };
  std::vector<std::string> holders;
  for (const auto& [name, v] : sealed) holders.push_back(name);
  if (!s.ok()) {
    out.error = "cannot read the sealed tokens: " + s.ToString();
    return out;
  }
  auto box = store::SecretBox::Load(data_dir, /*create=*/sealed.empty());
  if (!box.ok()) {
    out.refused = holders;
    out.error = box.status().message();
    if (box.status().code() == util::Code::kNotFound) {
      out.error += "; the store holds refresh tokens sealed with a master key for account" +
                   std::string(holders.size() == 1 ? " " : "s ") + names(holders) +
                   ": restore that key (or set " + std::string(store::kMasterKeyEnv) +
                   "); deskmail will not make a new one while sealed tokens exist";
    }
    return out;
  }
  out.box = std::make_shared<const store::SecretBox>(std::move(box).value());
  for (const auto& [name, v] : sealed) {
    if (!out.box->Open(v, RefreshTokenSecretName(name)).ok()) out.refused.push_back(name);
  }
  if (!out.refused.empty()) {
    out.error = "the master key does not open the sealed refresh token of account" +
                std::string(out.refused.size() == 1 ? " " : "s ") + names(out.refused) +
                " (a different master.key or " + std::string(store::kMasterKeyEnv) +
                "?): restore the key they were sealed with, or run `deskmail reauth ACCOUNT`";
  }
  return out;
}

util::Status StoreRefreshToken(store::WriteTxn& txn, const store::SecretBox& box,
                               const std::string& account, const std::string& refresh_token) {
  const std::string name = RefreshTokenSecretName(account);
  auto sealed = box.Seal(refresh_token, name);
  if (!sealed.ok()) return sealed.status();
  return txn.PutSecret(name, *sealed);
}

OAuthEndpoints EndpointsFor(const config::AccountConfig& a) {
  OAuthEndpoints e = DefaultEndpoints(a.provider, a.tenant);
  if (!a.token_endpoint.empty()) e.token = a.token_endpoint;
  if (!a.device_code_endpoint.empty()) e.device_code = a.device_code_endpoint;
  e.ca_file = a.oauth_ca_file;
  return e;
}

std::string ScopeFor(const config::AccountConfig& a) { return DefaultScope(a.provider); }

std::string ClientSecretFor(const config::AccountConfig& a) {
  if (a.client_secret_env.empty()) return {};
  const char* v = std::getenv(a.client_secret_env.c_str());
  return v != nullptr ? v : "";
}

bool UsesOAuthRefresh(const config::AccountConfig& a) {
  return a.auth == config::Auth::kXOAuth2 && a.access_token_command.empty() &&
         a.access_token_file.empty();
}

OAuthCredentialSource::OAuthCredentialSource(const config::AccountConfig& a, store::Store& store,
                                             std::shared_ptr<const store::SecretBox> box,
                                             const util::Clock& clock, HttpOptions http)
    : a_(a), store_(store), box_(std::move(box)), clock_(clock), http_(std::move(http)) {}

util::Result<Secret> OAuthCredentialSource::Get(bool refresh) {
  std::lock_guard lock(mu_);
  const std::string user = a_.username.empty() ? a_.address : a_.username;
  const std::int64_t now = clock_.NowSeconds();
  if (!refresh && !access_token_.empty() && now < access_expires_at_ - kEarlyRefreshSeconds) {
    return Secret{user, access_token_, true};
  }
  retry_after_.reset();
  const std::string name = RefreshTokenSecretName(a_.name);
  std::optional<std::string> sealed;
  util::Status rs = store_.Read([&](store::ReadTxn& txn) {
    sealed = txn.GetSecret(name);
    return util::Status{};
  });
  if (!rs.ok()) return rs;
  if (!sealed) {
    return util::Error(
        Code::kNotFound,
        "account " + a_.name + " has no refresh token yet: run `deskmail reauth " + a_.name + "`");
  }
  auto refresh_token = box_->Open(*sealed, name);
  if (!refresh_token.ok()) return refresh_token.status();

  OAuthResult r = RefreshToken(EndpointsFor(a_), a_.client_id, ClientSecretFor(a_), *refresh_token,
                               ScopeFor(a_), http_);
  util::Wipe(*refresh_token);
  if (!r.ok) {
    retry_after_ = r.error.retry_after;
    return Classified(r.error);
  }
  // The rotated refresh token is committed before the access token is used:
  // if we die right after, the next start still holds a valid token.
  util::Status ws = store_.Write([&](store::WriteTxn& txn) -> util::Status {
    if (!r.ok->refresh_token.empty()) {
      if (auto s = StoreRefreshToken(txn, *box_, a_.name, r.ok->refresh_token); !s.ok()) return s;
    }
    recovery::AccountHealth h = recovery::LoadHealth(txn, a_.name);
    h.last_rotation = now;
    return recovery::SaveHealth(txn, a_.name, h);
  });
  if (!ws.ok()) return ws;
  const bool rotated = !r.ok->refresh_token.empty();
  access_token_ = r.ok->access_token;
  util::Wipe(r.ok->access_token);
  util::Wipe(r.ok->refresh_token);
  access_expires_at_ = now + (r.ok->expires_in > 0 ? r.ok->expires_in : 3600);
  spdlog::debug("account {}: access token refreshed{}", a_.name,
                rotated ? " (refresh token rotated and stored)" : "");
  return Secret{user, access_token_, true};
}

}  // namespace oauth
