// imap::Session: one authenticated IMAP connection (libetpan over our own
// OpenSSL TLS). Plain C++ types only; no libetpan or OpenSSL type leaks.
//
// Typical use:
//   imap::Config cfg{.host = "outlook.office365.com", .port = 993};
//   auto s = imap::Session::Connect(cfg);              // TCP + TLS + greeting
//   s->Authenticate(imap::XOAuth2{user, token});
//   auto box = s->Examine("INBOX");                     // uidvalidity, uidnext
//   s->FetchBatch(checkpoint + 1, limits, [&](imap::FetchedMessage m) {...});
//
// Errors: every call returns util::Status / util::Result whose code is the
// imap::ErrorClass (see imap/error.h); last_error() has scope and server text.
// After an account-scope error the session is dead: every later call fails
// fast with the same error; drop it and reconnect.
//
// Thread-safety: a Session is used by one thread at a time. Only the
// std::stop_token passed to Idle() may be triggered from another thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap/batch.h"
#include "imap/error.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/wipe.h"

namespace imap {

enum class TlsMode {
  kImplicit,  // TLS from the first byte (port 993)
  kStartTls,  // plain greeting, then STARTTLS before anything else (port 143)
  kNone,      // no TLS at all: accepted only for loopback hosts (tests)
};

enum class LogLevel { kDebug, kInfo, kWarning, kError };
// Receives connection-level events (never credentials). May be empty.
using LogSink = std::function<void(LogLevel, std::string_view)>;

struct Config {
  std::string host;
  uint16_t port = 993;
  TlsMode tls = TlsMode::kImplicit;
  std::string ca_file;      // extra trusted CA bundle (PEM), besides the system store
  bool verify = true;       // false: no certificate/hostname check; warns at every connect
  std::string server_name;  // name for SNI and hostname verification; empty = host
  std::chrono::milliseconds connect_timeout{15'000};  // TCP connect + TLS handshake + greeting
  std::chrono::milliseconds io_timeout{120'000};      // any single read or write
  // When requested (from any thread), a blocked connect, TLS handshake,
  // read or write fails at once with kTransient "... interrupted: stopping"
  // and the session is dead: shutdown never waits for a timeout.
  std::stop_token stop;
  LogSink log;
  // A body of at least `spool_from` bytes (by its RFC822.SIZE) is written
  // to an unlinked file in `spool_dir` as it arrives and handed over mapped
  // (FetchedMessage::spooled), so a 50 MB message is not held in anonymous
  // memory while the store copies it. Empty: every body is held in memory.
  std::string spool_dir;
  uint64_t spool_from = 8u << 20;
};

// Both wipe their secret when destroyed (util/wipe.h).
struct XOAuth2 {
  std::string user;
  std::string access_token;
  ~XOAuth2() { util::Wipe(access_token); }
};
struct Login {
  std::string user;
  std::string password;
  ~Login() { util::Wipe(password); }
};
using Credentials = std::variant<XOAuth2, Login>;

class Capabilities {
 public:
  Capabilities() = default;
  explicit Capabilities(std::vector<std::string> names) : names_(std::move(names)) {}
  // Case-insensitive: Has("IDLE"), Has("AUTH=XOAUTH2").
  bool Has(std::string_view name) const;
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
};

struct MailboxInfo {
  uint32_t uidvalidity = 0;
  uint32_t uidnext = 0;  // 0 when the server did not say
  uint32_t exists = 0;
  bool read_only = false;
};

struct FetchedMessage {
  uint32_t uid = 0;
  std::vector<std::string> flags;  // as the server spells them: "\\Seen", "$Label"
  std::chrono::sys_seconds internal_date{};
  uint64_t size = 0;  // RFC822.SIZE
  std::string raw;    // BODY[] exactly as received (CRLF line ends from IMAP)
  // Instead of `raw` (then empty), for a body spooled to disk
  // (Config::spool_dir): the same bytes, mapped read-only.
  util::Bytes spooled;
  // The body, whichever way it came (moves it out).
  util::Bytes TakeBody() {
    if (!spooled.empty()) return std::move(spooled);
    return util::Bytes(std::move(raw));
  }
};

// Returning a non-OK status stops FetchBatch, which returns that status.
using FetchCallback = std::function<util::Status(FetchedMessage&&)>;

enum class IdleResult {
  kNewMail,  // the server reported EXISTS or RECENT
  kTimeout,  // nothing new within the timeout
  kStopped,  // the stop token was triggered
};

class Session {
 public:
  // Connects, secures (per cfg.tls) and reads the greeting. On failure and
  // when `error` is not null, *error gets the details.
  static util::Result<Session> Connect(const Config& cfg, Error* error = nullptr);

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();  // closes the connection without waiting for LOGOUT

  // XOAUTH2 through AUTHENTICATE (SASL-IR), or LOGIN. A NO is kAuthRejected
  // (kTransient when the server says [UNAVAILABLE]).
  util::Status Authenticate(const Credentials& creds);

  // Current capabilities (refreshed after authentication).
  util::Result<Capabilities> GetCapabilities();

  // Folder names are UTF-8; they are sent in modified UTF-7.
  util::Result<MailboxInfo> Examine(std::string_view folder);
  util::Result<MailboxInfo> Select(std::string_view folder);

  // UIDs >= from_uid with their sizes, ascending. REQUIRES: a folder is open.
  // Filters out the highest message that "n:*" returns even when its UID < n.
  util::Result<std::vector<UidSize>> ListFrom(uint32_t from_uid);

  // Full messages for these UIDs, ascending by UID; UIDs that no longer exist
  // are absent. REQUIRES: a folder is open. Each body is read from the
  // connection straight into its `raw` (libetpan keeps no copy of it); with
  // the sizes ListFrom reported, each `raw` is allocated once at that size.
  util::Result<std::vector<FetchedMessage>> FetchMessages(std::span<const uint32_t> uids);
  util::Result<std::vector<FetchedMessage>> FetchMessages(std::span<const UidSize> messages);

  // Only the identifying headers (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE
  // FROM)]) and RFC822.SIZE of these UIDs, in `raw` and `size`: enough to
  // tell mail already stored from new mail without downloading bodies.
  // Ascending by UID; UIDs that no longer exist are absent.
  util::Result<std::vector<FetchedMessage>> FetchIdentity(std::span<const uint32_t> uids);

  // Plans with ListFrom, then fetches batches bounded by `limits` and calls
  // on_message once per message in ascending UID order.
  util::Status FetchBatch(uint32_t from_uid, const BatchLimits& limits,
                          const FetchCallback& on_message);

  // Post-actions. REQUIRES: Select()ed (not Examine()d).
  util::Status MarkSeen(uint32_t uid);
  // MOVE when offered, else UID COPY + \Deleted + UID EXPUNGE (UIDPLUS) — or
  // leaves the original flagged \Deleted when the server lacks UIDPLUS.
  util::Status Move(uint32_t uid, std::string_view folder);

  // Waits in IDLE until the server reports new mail, `timeout` passes or
  // `stop` is requested. Callers re-issue it (keep timeout below 29 min).
  // REQUIRES: a folder is open and the server offers IDLE.
  util::Result<IdleResult> Idle(std::chrono::milliseconds timeout, std::stop_token stop = {});

  // Returns the new UID when the server offers UIDPLUS, else 0.
  // `internal_date` (Unix seconds, UTC) sets the message's INTERNALDATE
  // (RFC 3501 APPEND date-time); the server's clock otherwise.
  util::Result<uint32_t> Append(std::string_view folder, std::string_view raw,
                                std::span<const std::string> flags = {},
                                std::optional<std::int64_t> internal_date = std::nullopt);
  util::Status CreateFolder(std::string_view folder);

  // Polite goodbye; the session is closed afterwards either way.
  util::Status Logout();

  // Details of the most recent failure (default-constructed if none yet).
  const Error& last_error() const;

  struct Impl;  // opaque; defined in imap/detail/session_impl.h

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace imap
