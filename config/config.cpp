#include "config/config.h"

#include "config/toml_guard.h"
#include "util/clock.h"

#include <array>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>
// parse_result instead of exceptions: errors are values here. Debian's
// compiled toml++ is built with exceptions, so this file uses the header-only
// build of the same version (no ABI mix: only this file includes toml++).
#undef TOML_HEADER_ONLY
#undef TOML_SHARED_LIB
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace config {
namespace {

using util::Code;

template <class T, std::size_t N>
using Names = std::array<std::pair<T, std::string_view>, N>;

// The one list of spellings per key: parsing and Name() both read it.
constexpr Names<Role, 2> kRoles{{{Role::kSupport, "support"}, {Role::kIntake, "intake"}}};
constexpr Names<TlsMode, 2> kTlsModes{
    {{TlsMode::kImplicit, "implicit"}, {TlsMode::kStartTls, "starttls"}}};
constexpr Names<Auth, 2> kAuths{{{Auth::kXOAuth2, "xoauth2"}, {Auth::kPassword, "password"}}};
constexpr Names<Provider, 3> kProviders{{{Provider::kMicrosoft, "microsoft"},
                                         {Provider::kGoogle, "google"},
                                         {Provider::kCustom, "custom"}}};
constexpr Names<ReauthPolicy, 2> kReauthPolicies{
    {{ReauthPolicy::kFixed, "fixed"}, {ReauthPolicy::kRolling, "rolling"}}};
constexpr Names<LogLevel, 6> kLogLevels{{{LogLevel::kTrace, "trace"},
                                         {LogLevel::kDebug, "debug"},
                                         {LogLevel::kInfo, "info"},
                                         {LogLevel::kWarn, "warn"},
                                         {LogLevel::kError, "error"},
                                         {LogLevel::kOff, "off"}}};

template <class T, std::size_t N>
util::Result<T> ParseOneOf(const char* key, std::string_view value, const Names<T, N>& names) {
  std::string list;
  for (const auto& [v, name] : names) {
    if (value == name) return v;
    list += (list.empty() ? "" : ", ") + std::string(name);
  }
  return util::Error(Code::kInvalidArgument, std::string(key) + " = \"" + std::string(value) +
                                                 "\": must be one of " + list);
}

template <class T, std::size_t N>
std::string_view NameOf(T v, const Names<T, N>& names) {
  for (const auto& [value, name] : names) {
    if (value == v) return name;
  }
  return "?";
}

// Reads typed keys out of one TOML table and remembers which keys it knew,
// so the rest can be reported as unknown.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string where, std::vector<std::string>& errors)
      : t_(t), where_(std::move(where)), errors_(errors) {}

  void Str(const char* key, std::string& out) { StrIf(key, out); }
  // True when the key is present and a string.
  bool StrIf(const char* key, std::string& out) {
    known_.insert(key);
    auto* n = t_.get(key);
    if (n == nullptr) return false;
    auto v = n->value<std::string>();
    if (!v) {
      Bad(key, "a string", *n);
      return false;
    }
    out = *v;
    return true;
  }
  void Int(const char* key, int& out, std::int64_t lo, std::int64_t hi) {
    known_.insert(key);
    if (auto* n = t_.get(key)) {
      auto v = n->value<std::int64_t>();
      if (!v || *v < lo || *v > hi) {
        Bad(key, "an integer from " + std::to_string(lo) + " to " + std::to_string(hi), *n);
      } else {
        out = static_cast<int>(*v);
      }
    }
  }
  void Bool(const char* key, bool& out) {
    known_.insert(key);
    if (auto* n = t_.get(key)) {
      if (auto v = n->value<bool>()) {
        out = *v;
      } else {
        Bad(key, "true or false", *n);
      }
    }
  }
  void StrList(const char* key, std::vector<std::string>& out) {
    known_.insert(key);
    auto* n = t_.get(key);
    if (n == nullptr) return;
    auto* arr = n->as_array();
    if (arr == nullptr) return Bad(key, "a list of strings", *n);
    out.clear();
    for (auto& el : *arr) {
      auto v = el.value<std::string>();
      if (!v) return Bad(key, "a list of strings", *n);
      out.push_back(*v);
    }
  }
  // A string key parsed into a typed value; a bad value is reported with
  // the table it sits in and leaves `out` at its default.
  template <class T>
  void Typed(const char* key, T& out, util::Result<T> (*parse)(std::string_view)) {
    std::string raw;
    if (!StrIf(key, raw)) return;
    auto v = parse(raw);
    if (v.ok()) {
      out = std::move(v).value();
    } else {
      errors_.push_back(where_ + v.status().message());
    }
  }
  void Known(const char* key) { known_.insert(key); }
  void ReportUnknown(std::vector<std::string>& warnings) const {
    for (auto& [k, v] : t_) {
      if (!known_.count(std::string(k.str()))) {
        warnings.push_back(where_ + std::string(k.str()) + ": unknown key, ignored");
      }
    }
  }
  const std::string& where() const { return where_; }

 private:
  void Bad(const char* key, const std::string& want, const toml::node& n) {
    std::ostringstream os;
    os << where_ << key << " (line " << n.source().begin.line << "): expected " << want;
    errors_.push_back(os.str());
  }

  const toml::table& t_;
  std::string where_;
  std::vector<std::string>& errors_;
  std::set<std::string> known_;
};

void ReadAccount(const toml::table& t, std::size_t index, AccountConfig& a,
                 std::vector<std::string>& errors, std::vector<std::string>& warnings) {
  TableReader r(t, "account[" + std::to_string(index) + "].", errors);
  r.Str("name", a.name);
  r.Str("address", a.address);
  r.Typed("role", a.role, ParseRole);
  r.Str("host", a.host);
  r.Int("port", a.port, 1, 65535);
  r.Typed("tls", a.tls, ParseTlsMode);
  r.Str("ca_file", a.ca_file);
  r.Bool("tls_verify", a.tls_verify);
  r.Str("username", a.username);
  r.Typed("auth", a.auth, ParseAuth);
  r.Typed("provider", a.provider, ParseProvider);
  r.Str("tenant", a.tenant);
  r.Str("client_id", a.client_id);
  r.Str("token_endpoint", a.token_endpoint);
  r.Str("device_code_endpoint", a.device_code_endpoint);
  r.Str("authorize_endpoint", a.authorize_endpoint);
  r.Str("client_secret_env", a.client_secret_env);
  r.Str("oauth_ca_file", a.oauth_ca_file);
  r.Str("access_token_command", a.access_token_command);
  r.StrList("access_token_command_env", a.access_token_command_env);
  r.Str("access_token_file", a.access_token_file);
  r.Str("password_env", a.password_env);
  r.Str("password_file", a.password_file);
  r.StrList("folders", a.folders);
  r.Int("poll_interval_s", a.poll_interval_s, 1, 86400);
  r.Int("fetch_batch_max_count", a.fetch_batch_max_count, 1, 100000);
  r.Int("fetch_batch_max_bytes", a.fetch_batch_max_bytes, 1024, 1 << 30);
  r.Typed("post_action", a.post_action, ParsePostAction);
  r.Typed("reauth_policy", a.reauth_policy, ParseReauthPolicy);
  r.Int("refresh_token_lifetime_days", a.refresh_token_lifetime_days, 1, 3650);
  r.Int("alert_days", a.alert_days, 0, 365);
  r.Str("client_secret_expires_at", a.client_secret_expires_at);
  r.Int("connect_timeout_s", a.connect_timeout_s, 1, 3600);
  r.Int("read_timeout_s", a.read_timeout_s, 1, 3600);
  r.ReportUnknown(warnings);

  if (a.name.empty()) errors.push_back(r.where() + "name: required");
  if (a.username.empty()) a.username = a.address;
  if (!a.client_secret_expires_at.empty() && !util::ParseRfc3339(a.client_secret_expires_at)) {
    errors.push_back(r.where() + "client_secret_expires_at = \"" + a.client_secret_expires_at +
                     "\": not an RFC 3339 time");
  }
  if (a.folders.empty()) errors.push_back(r.where() + "folders: must name at least one folder");
  if (a.auth == Auth::kPassword && a.password_env.empty() && a.password_file.empty()) {
    errors.push_back(r.where() + "auth = \"password\" needs password_env or password_file");
  }
}

}  // namespace

namespace {
// [intake] require: kept as its spelling (recovery/forwarder_auth.h reads
// it), checked here against the one list.
constexpr Names<std::string_view, 4> kIntakeRequires{
    {{"dmarc", "dmarc"}, {"dkim", "dkim"}, {"envelope", "envelope"}, {"none", "none"}}};
util::Result<std::string> ParseIntakeRequire(std::string_view v) {
  auto r = ParseOneOf("require", v, kIntakeRequires);
  if (!r.ok()) return r.status();
  return std::string(*r);
}
}  // namespace

util::Result<Role> ParseRole(std::string_view v) { return ParseOneOf("role", v, kRoles); }
util::Result<TlsMode> ParseTlsMode(std::string_view v) { return ParseOneOf("tls", v, kTlsModes); }
util::Result<Auth> ParseAuth(std::string_view v) { return ParseOneOf("auth", v, kAuths); }
util::Result<Provider> ParseProvider(std::string_view v) {
  return ParseOneOf("provider", v, kProviders);
}
util::Result<ReauthPolicy> ParseReauthPolicy(std::string_view v) {
  return ParseOneOf("reauth_policy", v, kReauthPolicies);
}
util::Result<LogLevel> ParseLogLevel(std::string_view v) {
  return ParseOneOf("log_level", v, kLogLevels);
}

util::Result<PostAction> ParsePostAction(std::string_view v) {
  if (v == "none") return PostAction::None();
  if (v == "seen") return PostAction::Seen();
  constexpr std::string_view kMove = "move:";
  if (v.substr(0, kMove.size()) == kMove && v.size() > kMove.size()) {
    return PostAction::Move(std::string(v.substr(kMove.size())));
  }
  return util::Error(Code::kInvalidArgument, "post_action = \"" + std::string(v) +
                                                 "\": must be one of none, seen, move:FOLDER");
}

std::string_view Name(Role v) { return NameOf(v, kRoles); }
std::string_view Name(TlsMode v) { return NameOf(v, kTlsModes); }
std::string_view Name(Auth v) { return NameOf(v, kAuths); }
std::string_view Name(Provider v) { return NameOf(v, kProviders); }
std::string_view Name(ReauthPolicy v) { return NameOf(v, kReauthPolicies); }
std::string_view Name(LogLevel v) { return NameOf(v, kLogLevels); }
std::string Name(const PostAction& v) {
  switch (v.kind) {
    case PostAction::Kind::kNone:
      return "none";
    case PostAction::Kind::kSeen:
      return "seen";
    case PostAction::Kind::kMove:
      return "move:" + v.folder;
  }
  return "?";
}

const AccountConfig* Config::FindAccount(const std::string& name) const {
  for (const auto& a : accounts) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

util::Result<Config> ParseConfig(const std::string& toml_text, const std::string& path) {
  // What Debian's toml++ cannot read without undefined behaviour is refused
  // or rewritten first (config/toml_guard.h).
  util::Result<std::string> guarded = GuardToml(toml_text, path);
  if (!guarded.ok()) return guarded.status();
  toml::parse_result parsed = toml::parse(*guarded, path);
  if (!parsed) {
    const auto& err = parsed.error();
    std::ostringstream os;
    os << path << ":" << err.source().begin.line << ": " << err.description();
    return util::Error(Code::kInvalidArgument, os.str());
  }
  const toml::table& root = parsed.table();
  Config cfg;
  cfg.path = path;
  std::vector<std::string> errors;

  TableReader top(root, "", errors);
  top.Str("data_dir", cfg.data_dir);
  top.Str("ticket_tag", cfg.ticket_tag);
  top.Typed("log_level", cfg.log_level, ParseLogLevel);
  top.Str("alert_command", cfg.alert_command);
  top.StrList("alert_command_env", cfg.alert_command_env);
  top.Int("expired_retry_hours", cfg.expired_retry_hours, 1, 24 * 365);
  top.Int("connect_timeout_s", cfg.connect_timeout_s, 1, 3600);
  top.Int("read_timeout_s", cfg.read_timeout_s, 1, 3600);
  top.Int("once_deadline_s", cfg.once_deadline_s, 1, 86400);
  top.Int("max_concurrent_logins", cfg.max_concurrent_logins, 0, 10000);
  top.Known("admin");
  top.Known("store");
  top.Known("intake");
  top.Known("account");
  top.ReportUnknown(cfg.warnings);

  if (auto* admin = root["admin"].as_table()) {
    TableReader r(*admin, "admin.", errors);
    r.Str("bind", cfg.admin_bind);
    r.Int("port", cfg.admin_port, 0, 65535);
    r.Str("public_url", cfg.admin_public_url);
    r.Str("password_hash", cfg.admin_password_hash);
    r.Str("password_file", cfg.admin_password_file);
    r.Str("api_token_env", cfg.admin_api_token_env);
    r.Str("tls_cert", cfg.admin_tls_cert);
    r.Str("tls_key", cfg.admin_tls_key);
    r.ReportUnknown(cfg.warnings);
  }
  if (auto* store = root["store"].as_table()) {
    TableReader r(*store, "store.", errors);
    // From 1 MiB (LMDB's few pages) to 16 TiB (more than any disk it will meet).
    r.Int("max_map_mib", cfg.store_max_map_mib, 1, 16 << 20);
    r.ReportUnknown(cfg.warnings);
  } else if (root.contains("store")) {
    errors.push_back("store: must be a table ([store])");
  }
  if (auto* intake = root["intake"].as_table()) {
    TableReader r(*intake, "intake.", errors);
    r.StrList("allowed_forwarders", cfg.allowed_forwarders);
    r.Int("forward_max_age_days", cfg.forward_max_age_days, 0, 3650);
    r.StrList("trusted_authserv_ids", cfg.trusted_authserv_ids);
    r.Typed("require", cfg.intake_require, ParseIntakeRequire);
    int max_mib = static_cast<int>(cfg.intake_max_message_bytes >> 20);
    r.Int("max_message_mib", max_mib, 1, 2048);
    cfg.intake_max_message_bytes = static_cast<std::int64_t>(max_mib) << 20;
    r.ReportUnknown(cfg.warnings);
    if (cfg.intake_require == "none") {
      cfg.warnings.push_back(
          "intake.require = \"none\": forwards are unwrapped on their From: header alone, "
          "which anyone can write (see docs/SECURITY.md)");
    }
  }
  if (auto* node = root.get("account")) {
    auto* arr = node->as_array();
    if (arr == nullptr) {
      errors.push_back("account: must be an array of tables ([[account]])");
    } else {
      std::set<std::string> names;
      for (std::size_t i = 0; i < arr->size(); ++i) {
        auto* t = (*arr)[i].as_table();
        if (t == nullptr) {
          errors.push_back("account[" + std::to_string(i) + "]: must be a table");
          continue;
        }
        AccountConfig a;
        ReadAccount(*t, i, a, errors, cfg.warnings);
        if (!a.name.empty() && !names.insert(a.name).second) {
          errors.push_back("account[" + std::to_string(i) + "].name = \"" + a.name +
                           "\": used by another account");
        }
        cfg.accounts.push_back(std::move(a));
      }
    }
  }
  for (AccountConfig& a : cfg.accounts) {  // unset per-account timeouts take the global ones
    if (a.connect_timeout_s == 0) a.connect_timeout_s = cfg.connect_timeout_s;
    if (a.read_timeout_s == 0) a.read_timeout_s = cfg.read_timeout_s;
  }
  if (!errors.empty()) {
    std::string msg = path + ": " + errors.front();
    if (errors.size() > 1) msg += " (and " + std::to_string(errors.size() - 1) + " more)";
    return util::Error(Code::kInvalidArgument, msg);
  }
  return cfg;
}

util::Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return util::Error(Code::kInvalidArgument, path + ": cannot read config file");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path);
}

}  // namespace config
