// Connection set-up, authentication, folders and error mapping. Fetching is
// in session_fetch.cpp, post-actions and IDLE in session_ops.cpp.
#include "imap/session.h"

#include <arpa/inet.h>
#include <strings.h>

#include <algorithm>

#include "imap/batch.h"
#include "imap/detail/session_impl.h"
#include "imap/mailbox_name.h"
#include "util/loopback.h"
#include "util/printable.h"

namespace imap {
namespace {

constexpr size_t kStreamBufferSize = 64 * 1024;  // libetpan's read buffer

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// CAPABILITY. libetpan dereferences the stored capability list when the
// tagged OK arrives, which is NULL when the server answered without a
// "* CAPABILITY" line (found by fuzz/imap_response_fuzz.cpp): seed an empty
// list first; a real answer replaces it.
int CapabilityCommand(mailimap* imap) {
  if (imap->imap_connection_info != nullptr &&
      imap->imap_connection_info->imap_capability == nullptr) {
    clist* empty = clist_new();
    if (empty == nullptr) return MAILIMAP_ERROR_MEMORY;
    imap->imap_connection_info->imap_capability = mailimap_capability_data_new(empty);
    if (imap->imap_connection_info->imap_capability == nullptr) {
      clist_free(empty);
      return MAILIMAP_ERROR_MEMORY;
    }
  }
  mailimap_capability_data* caps = nullptr;
  int r = mailimap_capability(imap, &caps);
  if (caps != nullptr) mailimap_capability_data_free(caps);
  return r;
}

}  // namespace

namespace detail {

SetPtr MakeUidSet(std::span<const uint32_t> uids) {
  SetPtr set(mailimap_set_new_empty());
  if (!set) return nullptr;
  for (const auto& [first, last] : UidRuns(uids)) {
    if (mailimap_set_add_interval(set.get(), first, last) != MAILIMAP_NO_ERROR) return nullptr;
  }
  return set;
}

}  // namespace detail

bool Capabilities::Has(std::string_view name) const {
  return std::any_of(names_.begin(), names_.end(),
                     [&](const std::string& n) { return EqualsNoCase(n, name); });
}

// --- Impl ----------------------------------------------------------------

Session::Impl::~Impl() { CloseNow(); }

void Session::Impl::Log(LogLevel level, std::string_view msg) const {
  if (cfg.log) cfg.log(level, msg);
}

void Session::Impl::CloseNow() {
  if (imap && imap->imap_stream != nullptr) {
    mailstream_close(imap->imap_stream);  // frees our Connection through the driver
    imap->imap_stream = nullptr;
    imap->imap_state = MAILIMAP_STATE_DISCONNECTED;
  }
  conn = nullptr;
}

util::Status Session::Impl::Fail(Error e) {
  // A reply to AUTHENTICATE or LOGIN may echo the credentials: only the
  // response code and a redacted text are kept, logged or returned.
  // Any other server text is quoted in log lines: made printable.
  e.server_text = auth_secrets != nullptr ? util::RedactAuthText(e.server_text, *auth_secrets)
                                          : util::Printable(e.server_text);
  last_error = e;
  if (e.scope == Scope::kAccount && !dead) {
    dead = e;
    Log(LogLevel::kWarning, e.ToStatus().ToString());
    CloseNow();
  }
  return e.ToStatus();
}

std::string Session::Impl::ResponseCode() const {
  if (!imap || imap->imap_response_info == nullptr ||
      imap->imap_response_info->rsp_atom == nullptr) {
    return {};
  }
  return imap->imap_response_info->rsp_atom;
}

std::string Session::Impl::ServerText() const {
  std::string text;
  std::string code = ResponseCode();
  if (!code.empty()) text = "[" + code + "] ";
  if (imap && imap->imap_response != nullptr) text += imap->imap_response;
  return text;
}

util::Status Session::Impl::FailEtpan(int r, Scope scope, std::string_view what) {
  Error e;
  e.scope = scope;
  e.message = std::string(what);
  // A server that says BYE and hangs up surfaces in libetpan as a stream,
  // parse or fatal error depending on timing; the BYE decides.
  const std::string bye = conn != nullptr ? conn->LastByeText() : std::string();
  if (!bye.empty() && (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
                       r == MAILIMAP_ERROR_FATAL || r == MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION)) {
    e.cls = ErrorClass::kTransient;
    e.scope = Scope::kAccount;
    e.message += ": server said BYE";
    e.server_text = bye;
    return Fail(std::move(e));
  }
  // libetpan reports a link that drops mid-response as a parse error.
  if (r == MAILIMAP_ERROR_PARSE && conn != nullptr && !conn->io_error().empty())
    r = MAILIMAP_ERROR_STREAM;
  switch (r) {
    case MAILIMAP_ERROR_STREAM:
    case MAILIMAP_ERROR_CONNECTION_REFUSED:
    case MAILIMAP_ERROR_MEMORY:
      e.cls = ErrorClass::kTransient;
      e.scope = Scope::kAccount;
      e.message += ": connection lost";
      if (conn != nullptr && !conn->io_error().empty()) e.message += " (" + conn->io_error() + ")";
      return Fail(std::move(e));
    case MAILIMAP_ERROR_FATAL:
    case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
      e.cls = ErrorClass::kTransient;
      e.scope = Scope::kAccount;
      e.message += ": server said BYE";
      if (imap && imap->imap_response != nullptr) e.server_text = imap->imap_response;
      return Fail(std::move(e));
    case MAILIMAP_ERROR_PARSE:
      e.cls = ErrorClass::kProtocol;
      e.scope = Scope::kAccount;  // the stream is out of step with the parser
      e.message += ": unparseable server response";
      return Fail(std::move(e));
    case MAILIMAP_ERROR_PROTOCOL:
      e.cls = ErrorClass::kProtocol;
      e.scope = Scope::kAccount;  // BAD or a tag out of sequence
      e.message += ": server answered BAD or out of sequence";
      e.server_text = ServerText();
      return Fail(std::move(e));
    case MAILIMAP_ERROR_BAD_STATE:
    case MAILIMAP_ERROR_INVAL:
      e.cls = ErrorClass::kInvalidArgument;
      e.message += ": not allowed in the current state";
      return Fail(std::move(e));
    case MAILIMAP_ERROR_SSL:
      e.cls = ErrorClass::kTls;
      e.scope = Scope::kAccount;
      return Fail(std::move(e));
    default:
      break;
  }
  // The command was answered NO.
  e.server_text = ServerText();
  const std::string code = ResponseCode();
  const bool temporary = EqualsNoCase(code, "UNAVAILABLE") || EqualsNoCase(code, "INUSE") ||
                         EqualsNoCase(code, "LIMIT") || ThrottleBackoff(e.server_text).has_value();
  if (r == MAILIMAP_ERROR_LOGIN || r == MAILIMAP_ERROR_SASL) {
    e.cls = temporary ? ErrorClass::kTransient : ErrorClass::kAuthRejected;
    e.scope = Scope::kAccount;
    e.message += temporary ? ": server temporarily unavailable" : ": credentials rejected";
    return Fail(std::move(e));
  }
  e.cls = temporary ? ErrorClass::kTransient : ErrorClass::kProtocol;
  e.message += ": server answered NO";
  return Fail(std::move(e));
}

util::Status Session::Impl::CheckAlive() {
  if (dead) {
    last_error = *dead;
    return dead->ToStatus();
  }
  return util::Status::Ok();
}

util::Status Session::Impl::CheckSelected(bool need_writable) {
  if (auto s = CheckAlive(); !s.ok()) return s;
  if (!selected) {
    return Fail(Error{ErrorClass::kInvalidArgument, Scope::kFolder, "no folder is open", {}});
  }
  if (need_writable && read_only) {
    return Fail(Error{ErrorClass::kInvalidArgument,
                      Scope::kFolder,
                      "folder was opened read-only (Examine); use Select",
                      {}});
  }
  return util::Status::Ok();
}

util::Result<std::string> Session::Impl::WireName(std::string_view folder) {
  auto name = EncodeMailboxName(folder);
  if (!name || name->empty()) {
    return Fail(
        Error{ErrorClass::kInvalidArgument, Scope::kFolder, "folder name is not valid UTF-8", {}});
  }
  return *name;
}

// --- Session -------------------------------------------------------------

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

const Error& Session::last_error() const {
  static const Error kNone{};
  return impl_ ? impl_->last_error : kNone;
}

util::Result<Session> Session::Connect(const Config& cfg, Error* error) {
  auto fail = [&](Error e) -> util::Result<Session> {
    if (cfg.log) cfg.log(LogLevel::kWarning, e.ToStatus().ToString());
    if (error != nullptr) *error = e;
    return e.ToStatus();
  };
  if (cfg.host.empty() || cfg.port == 0) {
    return fail({ErrorClass::kInvalidArgument, Scope::kAccount, "host and port are required", {}});
  }
  if (cfg.tls == TlsMode::kNone && !util::IsLoopbackHost(cfg.host)) {
    return fail({ErrorClass::kInvalidArgument,
                 Scope::kAccount,
                 "plaintext IMAP is allowed only to loopback, not " + cfg.host,
                 {}});
  }
  if (!cfg.verify && cfg.tls != TlsMode::kNone && cfg.log) {
    cfg.log(LogLevel::kWarning, "TLS certificate verification is DISABLED for " + cfg.host + ":" +
                                    std::to_string(cfg.port) + " (verify = false)");
  }

  detail::ConnectOptions opts{cfg.host,       cfg.port,        cfg.ca_file,
                              cfg.verify,     cfg.server_name, cfg.connect_timeout,
                              cfg.io_timeout, cfg.stop};
  std::unique_ptr<detail::Connection> owned;
  if (auto e = detail::Connection::Open(opts, &owned)) return fail(*e);
  if (cfg.tls == TlsMode::kImplicit) {
    if (auto e = owned->StartTls()) return fail(*e);
  }

  auto impl = std::make_unique<Impl>();
  impl->cfg = cfg;
  impl->imap.reset(mailimap_new(0, nullptr));
  if (!impl->imap) return fail({ErrorClass::kTransient, Scope::kAccount, "out of memory", {}});
  detail::Connection* conn = owned.get();
  mailstream_low* low = detail::Connection::ToLowStream(std::move(owned));
  if (low == nullptr) return fail({ErrorClass::kTransient, Scope::kAccount, "out of memory", {}});
  mailstream* stream = mailstream_new(low, kStreamBufferSize);
  if (stream == nullptr) {
    mailstream_low_close(low);
    mailstream_low_free(low);
    return fail({ErrorClass::kTransient, Scope::kAccount, "out of memory", {}});
  }
  impl->conn = conn;

  const std::string where = cfg.host + ":" + std::to_string(cfg.port);
  int r = mailimap_connect(impl->imap.get(), stream);
  if (r != MAILIMAP_NO_ERROR_AUTHENTICATED && r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
    impl->FailEtpan(r, Scope::kAccount, "greeting from " + where);
    return fail(impl->last_error);
  }

  if (cfg.tls == TlsMode::kStartTls) {
    r = mailimap_starttls(impl->imap.get());
    if (r != MAILIMAP_NO_ERROR) {
      impl->FailEtpan(r, Scope::kAccount, "STARTTLS on " + where);
      if (r == MAILIMAP_ERROR_STARTTLS)
        impl->last_error.cls = ErrorClass::kTls;  // server refused TLS: final
      return fail(impl->last_error);
    }
    // Bytes already buffered after the OK were sent in plaintext and could
    // be injected by an attacker (cf. CVE-2020-15953): refuse them.
    if (impl->imap->imap_stream->read_buffer_len != 0) {
      impl->Fail({ErrorClass::kProtocol,
                  Scope::kAccount,
                  "data after STARTTLS response from " + where,
                  {}});
      return fail(impl->last_error);
    }
    if (auto e = impl->conn->StartTls()) {
      impl->Fail(*e);
      return fail(*e);
    }
    // Pre-TLS capabilities must not be trusted.
    if (impl->imap->imap_connection_info != nullptr &&
        impl->imap->imap_connection_info->imap_capability != nullptr) {
      mailimap_capability_data_free(impl->imap->imap_connection_info->imap_capability);
      impl->imap->imap_connection_info->imap_capability = nullptr;
    }
  }
  impl->Log(LogLevel::kInfo, "connected to " + where);
  return Session(std::move(impl));
}

util::Status Session::Authenticate(const Credentials& creds) {
  Impl& s = *impl_;
  if (auto st = s.CheckAlive(); !st.ok()) return st;
  if (s.imap->imap_state != MAILIMAP_STATE_NON_AUTHENTICATED) return util::Status::Ok();  // PREAUTH
  int r;
  std::string what;
  if (const auto* x = std::get_if<XOAuth2>(&creds)) {
    what = "AUTHENTICATE XOAUTH2 as " + x->user;
    // libetpan marks the line private, so it never reaches a stream logger.
    r = mailimap_oauth2_authenticate(s.imap.get(), x->user.c_str(), x->access_token.c_str());
  } else {
    const auto& l = std::get<Login>(creds);
    what = "LOGIN as " + l.user;
    r = mailimap_login(s.imap.get(), l.user.c_str(), l.password.c_str());
  }
  if (r != MAILIMAP_NO_ERROR) {
    std::vector<std::string> secrets;
    if (const auto* x = std::get_if<XOAuth2>(&creds)) {
      secrets.push_back(x->access_token);
    } else {
      secrets.push_back(std::get<Login>(creds).password);
    }
    s.auth_secrets = &secrets;
    // XOAUTH2 failures come back as the generic LOGIN error too.
    util::Status st = s.FailEtpan(r == MAILIMAP_ERROR_EXTENSION ? MAILIMAP_ERROR_LOGIN : r,
                                  Scope::kAccount, what);
    s.auth_secrets = nullptr;
    return st;
  }
  // Capabilities grow after login (IDLE, MOVE...): ask afresh.
  r = CapabilityCommand(s.imap.get());
  if (r != MAILIMAP_NO_ERROR) return s.FailEtpan(r, Scope::kAccount, "CAPABILITY");
  return util::Status::Ok();
}

util::Result<Capabilities> Session::GetCapabilities() {
  Impl& s = *impl_;
  if (auto st = s.CheckAlive(); !st.ok()) return st;
  mailimap_connection_info* info = s.imap->imap_connection_info;
  if (info == nullptr || info->imap_capability == nullptr) {
    int r = CapabilityCommand(s.imap.get());
    if (r != MAILIMAP_NO_ERROR) return s.FailEtpan(r, Scope::kAccount, "CAPABILITY");
    info = s.imap->imap_connection_info;
  }
  std::vector<std::string> names;
  if (info != nullptr && info->imap_capability != nullptr) {
    for (clistiter* it = clist_begin(info->imap_capability->cap_list); it != nullptr;
         it = clist_next(it)) {
      auto* cap = static_cast<struct mailimap_capability*>(clist_content(it));
      if (cap->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE &&
          cap->cap_data.cap_auth_type != nullptr) {
        names.push_back(std::string("AUTH=") + cap->cap_data.cap_auth_type);
      } else if (cap->cap_type == MAILIMAP_CAPABILITY_NAME && cap->cap_data.cap_name != nullptr) {
        names.emplace_back(cap->cap_data.cap_name);
      }
    }
  }
  return Capabilities(std::move(names));
}

namespace {

util::Result<MailboxInfo> OpenFolder(Session::Impl& s, std::string_view folder, bool examine) {
  if (auto st = s.CheckAlive(); !st.ok()) return st;
  auto wire = s.WireName(folder);
  if (!wire) return wire.status();
  s.selected = false;
  int r = examine ? mailimap_examine(s.imap.get(), wire->c_str())
                  : mailimap_select(s.imap.get(), wire->c_str());
  if (r != MAILIMAP_NO_ERROR) {
    return s.FailEtpan(r, Scope::kFolder,
                       std::string(examine ? "EXAMINE " : "SELECT ") + std::string(folder));
  }
  const mailimap_selection_info* sel = s.imap->imap_selection_info;
  MailboxInfo info;
  if (sel != nullptr) {
    info.uidvalidity = sel->sel_uidvalidity;
    info.uidnext = sel->sel_uidnext;
    info.exists = sel->sel_exists;
    info.read_only = examine || sel->sel_perm == MAILIMAP_MAILBOX_READONLY;
  }
  s.selected = true;
  s.read_only = info.read_only;
  return info;
}

}  // namespace

util::Result<MailboxInfo> Session::Examine(std::string_view folder) {
  return OpenFolder(*impl_, folder, true);
}
util::Result<MailboxInfo> Session::Select(std::string_view folder) {
  return OpenFolder(*impl_, folder, false);
}

util::Status Session::Logout() {
  Impl& s = *impl_;
  if (auto st = s.CheckAlive(); !st.ok()) return st;
  int r = mailimap_logout(s.imap.get());  // closes the stream whatever the answer
  s.conn = nullptr;
  s.selected = false;
  s.dead = Error{ErrorClass::kInvalidArgument, Scope::kAccount, "session was logged out", {}};
  // A dropped link during LOGOUT loses nothing.
  if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_ERROR_STREAM && r != MAILIMAP_ERROR_FATAL) {
    s.last_error =
        Error{ErrorClass::kProtocol, Scope::kAccount, "LOGOUT answered " + std::to_string(r), {}};
    return s.last_error.ToStatus();
  }
  return util::Status::Ok();
}

}  // namespace imap
