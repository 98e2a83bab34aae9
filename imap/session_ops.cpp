// Post-actions (\Seen, MOVE), APPEND/CREATE, and IDLE.
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>

#include "imap/batch.h"
#include "imap/detail/session_impl.h"
#include "imap/session.h"

#include <ctime>
#include <memory>

namespace imap {
namespace {

using detail::FlagListPtr;
using detail::SetPtr;
using detail::StoreAttPtr;

// libetpan frees flag strings with free(): hand it malloc'd copies.
mailimap_flag* MakeFlag(const std::string& name) {
  struct System {
    const char* name;
    mailimap_flag* (*make)();
  };
  static constexpr System kSystem[] = {{"\\Seen", mailimap_flag_new_seen},
                                       {"\\Answered", mailimap_flag_new_answered},
                                       {"\\Flagged", mailimap_flag_new_flagged},
                                       {"\\Deleted", mailimap_flag_new_deleted},
                                       {"\\Draft", mailimap_flag_new_draft}};
  for (const System& s : kSystem) {
    if (strcasecmp(name.c_str(), s.name) == 0) return s.make();
  }
  if (!name.empty() && name[0] == '\\') {
    char* ext = strdup(name.c_str() + 1);
    mailimap_flag* f = ext != nullptr ? mailimap_flag_new_flag_extension(ext) : nullptr;
    if (f == nullptr) free(ext);
    return f;
  }
  char* kw = strdup(name.c_str());
  mailimap_flag* f = kw != nullptr ? mailimap_flag_new_flag_keyword(kw) : nullptr;
  if (f == nullptr) free(kw);
  return f;
}

FlagListPtr MakeFlagList(std::span<const std::string> names) {
  FlagListPtr list(mailimap_flag_list_new_empty());
  if (!list) return nullptr;
  for (const std::string& n : names) {
    mailimap_flag* f = MakeFlag(n);
    if (f == nullptr) return nullptr;
    if (mailimap_flag_list_add(list.get(), f) != MAILIMAP_NO_ERROR) {
      mailimap_flag_free(f);
      return nullptr;
    }
  }
  return list;
}

util::Status OutOfMemory(Session::Impl& s) {
  return s.Fail(
      Error{ErrorClass::kTransient, Scope::kAccount, "out of memory building a command", {}});
}

// UID STORE uid +FLAGS.SILENT (flag).
util::Status AddFlag(Session::Impl& s, uint32_t uid, const std::string& flag) {
  const std::string flags[] = {flag};
  FlagListPtr list = MakeFlagList(flags);
  if (!list) return OutOfMemory(s);
  StoreAttPtr att(mailimap_store_att_flags_new_add_flags_silent(list.get()));
  if (!att) return OutOfMemory(s);
  list.release();  // owned by att now
  SetPtr set(mailimap_set_new_single(uid));
  if (!set) return OutOfMemory(s);
  int r = mailimap_uid_store(s.imap.get(), set.get(), att.get());
  if (r != MAILIMAP_NO_ERROR) {
    return s.FailEtpan(r, Scope::kMessage, "UID STORE " + std::to_string(uid) + " +FLAGS " + flag);
  }
  return util::Status::Ok();
}

class EventFd {
 public:
  EventFd() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~EventFd() {
    if (fd_ >= 0) close(fd_);
  }
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;
  int fd() const { return fd_; }
  void Signal() const {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
  }

 private:
  int fd_;
};

}  // namespace

util::Status Session::MarkSeen(uint32_t uid) {
  Impl& s = *impl_;
  if (auto st = s.CheckSelected(true); !st.ok()) return st;
  return AddFlag(s, uid, "\\Seen");
}

util::Status Session::Move(uint32_t uid, std::string_view folder) {
  Impl& s = *impl_;
  if (auto st = s.CheckSelected(true); !st.ok()) return st;
  auto wire = s.WireName(folder);
  if (!wire) return wire.status();
  auto caps = GetCapabilities();
  if (!caps) return caps.status();
  SetPtr set(mailimap_set_new_single(uid));
  if (!set) return OutOfMemory(s);
  const std::string what = "move UID " + std::to_string(uid) + " to " + std::string(folder);
  if (caps->Has("MOVE")) {
    int r = mailimap_uid_move(s.imap.get(), set.get(), wire->c_str());
    return r == MAILIMAP_NO_ERROR ? util::Status::Ok() : s.FailEtpan(r, Scope::kMessage, what);
  }
  int r = mailimap_uid_copy(s.imap.get(), set.get(), wire->c_str());
  if (r != MAILIMAP_NO_ERROR) return s.FailEtpan(r, Scope::kMessage, what + " (UID COPY)");
  if (auto st = AddFlag(s, uid, "\\Deleted"); !st.ok()) return st;
  if (!caps->Has("UIDPLUS")) {
    // A plain EXPUNGE would also remove other clients' \Deleted messages.
    s.Log(LogLevel::kWarning,
          what + ": server lacks MOVE and UIDPLUS; original left flagged \\Deleted");
    return util::Status::Ok();
  }
  r = mailimap_uid_expunge(s.imap.get(), set.get());
  return r == MAILIMAP_NO_ERROR ? util::Status::Ok()
                                : s.FailEtpan(r, Scope::kMessage, what + " (UID EXPUNGE)");
}

util::Result<uint32_t> Session::Append(std::string_view folder, std::string_view raw,
                                       std::span<const std::string> flags,
                                       std::optional<std::int64_t> internal_date) {
  Impl& s = *impl_;
  if (auto st = s.CheckAlive(); !st.ok()) return st;
  auto wire = s.WireName(folder);
  if (!wire) return wire.status();
  auto caps = GetCapabilities();
  if (!caps) return caps.status();
  FlagListPtr list;
  if (!flags.empty()) {
    list = MakeFlagList(flags);
    if (!list) return OutOfMemory(s);
  }
  std::unique_ptr<mailimap_date_time, decltype(&mailimap_date_time_free)> date(
      nullptr, &mailimap_date_time_free);
  if (internal_date) {
    const std::time_t t = static_cast<std::time_t>(*internal_date);
    std::tm tm{};
    gmtime_r(&t, &tm);
    date.reset(mailimap_date_time_new(tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour,
                                      tm.tm_min, tm.tm_sec, 0));
    if (!date) return OutOfMemory(s);
  }
  const std::string what = "APPEND to " + std::string(folder);
  uint32_t uid = 0;
  int r;
  if (caps->Has("UIDPLUS")) {
    uint32_t uidvalidity = 0;
    r = mailimap_uidplus_append(s.imap.get(), wire->c_str(), list.get(), date.get(), raw.data(),
                                raw.size(), &uidvalidity, &uid);
  } else {
    r = mailimap_append(s.imap.get(), wire->c_str(), list.get(), date.get(), raw.data(),
                        raw.size());
  }
  if (r != MAILIMAP_NO_ERROR) return s.FailEtpan(r, Scope::kFolder, what);
  return uid;
}

util::Status Session::CreateFolder(std::string_view folder) {
  Impl& s = *impl_;
  if (auto st = s.CheckAlive(); !st.ok()) return st;
  auto wire = s.WireName(folder);
  if (!wire) return wire.status();
  int r = mailimap_create(s.imap.get(), wire->c_str());
  return r == MAILIMAP_NO_ERROR ? util::Status::Ok()
                                : s.FailEtpan(r, Scope::kFolder, "CREATE " + std::string(folder));
}

util::Result<IdleResult> Session::Idle(std::chrono::milliseconds timeout, std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  Impl& s = *impl_;
  if (auto st = s.CheckSelected(false); !st.ok()) return st;
  auto caps = GetCapabilities();
  if (!caps) return caps.status();
  if (!caps->Has("IDLE")) {
    return s.Fail(Error{ErrorClass::kProtocol, Scope::kFolder, "server does not offer IDLE", {}});
  }
  EventFd wake;
  if (wake.fd() < 0)
    return s.Fail(Error{ErrorClass::kTransient, Scope::kAccount, "eventfd failed", {}});
  std::stop_callback on_stop(stop, [&wake] { wake.Signal(); });

  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (stop.stop_requested()) return IdleResult::kStopped;
    int r = mailimap_idle(s.imap.get());
    if (r != MAILIMAP_NO_ERROR) return s.FailEtpan(r, Scope::kAccount, "IDLE");

    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    detail::WaitResult w = detail::WaitResult::kReadable;
    // Data may already sit in libetpan's buffer, where poll() cannot see it.
    if (s.imap->imap_stream->read_buffer_len == 0) {
      w = s.conn->WaitReadable(std::max(left, std::chrono::milliseconds(0)), wake.fd());
    }
    if (w == detail::WaitResult::kError) {
      return s.Fail(
          Error{ErrorClass::kTransient, Scope::kAccount, "IDLE: waiting on the socket failed", {}});
    }
    // DONE, then read everything up to the tagged OK: EXISTS/RECENT sent
    // while idling are recorded in the selection info on the way.
    r = mailimap_idle_done(s.imap.get());
    if (r != MAILIMAP_NO_ERROR) return s.FailEtpan(r, Scope::kAccount, "IDLE DONE");
    const mailimap_selection_info* sel = s.imap->imap_selection_info;
    if (sel != nullptr && (sel->sel_has_exists || sel->sel_has_recent)) return IdleResult::kNewMail;
    if (w == detail::WaitResult::kWoken) return IdleResult::kStopped;
    if (w == detail::WaitResult::kTimeout || Clock::now() >= deadline) return IdleResult::kTimeout;
    // Something else arrived (keep-alive "* OK Still here", flag change): idle again.
  }
}

}  // namespace imap
