// Internal: the state behind imap::Session, shared by session*.cpp.
#pragma once

#include <libetpan/libetpan.h>

#include <memory>
#include <optional>
#include <string>

#include "imap/detail/connection.h"
#include "imap/session.h"

namespace imap::detail {

struct MailimapFree {
  void operator()(mailimap* p) const { mailimap_free(p); }
};
struct SetFree {
  void operator()(mailimap_set* p) const { mailimap_set_free(p); }
};
struct FetchTypeFree {
  void operator()(mailimap_fetch_type* p) const { mailimap_fetch_type_free(p); }
};
struct FetchListFree {
  void operator()(clist* p) const { mailimap_fetch_list_free(p); }
};
struct FlagListFree {
  void operator()(mailimap_flag_list* p) const { mailimap_flag_list_free(p); }
};
struct StoreAttFree {
  void operator()(mailimap_store_att_flags* p) const { mailimap_store_att_flags_free(p); }
};
using SetPtr = std::unique_ptr<mailimap_set, SetFree>;
using FetchTypePtr = std::unique_ptr<mailimap_fetch_type, FetchTypeFree>;
using FetchListPtr = std::unique_ptr<clist, FetchListFree>;
using FlagListPtr = std::unique_ptr<mailimap_flag_list, FlagListFree>;
using StoreAttPtr = std::unique_ptr<mailimap_store_att_flags, StoreAttFree>;

// A mailimap_set for these UIDs, runs collapsed. Null only on out-of-memory.
SetPtr MakeUidSet(std::span<const uint32_t> uids);

}  // namespace imap::detail

namespace imap {

struct Session::Impl {
  Config cfg;
  std::unique_ptr<mailimap, detail::MailimapFree> imap;
  detail::Connection* conn = nullptr;  // owned by imap's stream; null once closed
  Error last_error;
  std::optional<Error> dead;  // set by an account-scope failure: the session is unusable
  bool selected = false;
  bool read_only = false;
  // Set while an authentication failure is recorded: Fail redacts the
  // server's text (util::RedactAuthText) against these.
  const std::vector<std::string>* auth_secrets = nullptr;

  ~Impl();
  void Log(LogLevel level, std::string_view msg) const;
  // Closes the stream without LOGOUT (which could block on a dead peer).
  void CloseNow();

  // Records `e` as last_error; account-scope errors kill the session.
  util::Status Fail(Error e);
  // Maps a libetpan result code after a command (see imap/error.h classes).
  util::Status FailEtpan(int r, Scope scope, std::string_view what);
  // REQUIRES-style guards; non-OK when the call cannot proceed.
  util::Status CheckAlive();
  util::Status CheckSelected(bool need_writable);
  // "[CODE] text" of the last tagged response; empty if none.
  std::string ServerText() const;
  std::string ResponseCode() const;
  util::Result<std::string> WireName(std::string_view folder);
};

}  // namespace imap
