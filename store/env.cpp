#include "store/detail/env.h"

#include "store/schema.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace store::detail {
namespace {

namespace fs = std::filesystem;

// Below this, creating a store is refused up front: the meta pages, the
// lock file and a first commit need a few pages each.
constexpr long long kMinFreeToCreate = 1ll << 20;
// Short writes (LMDB's EIO) with less than this left are a full disk.
constexpr long long kFullDiskSlack = 1ll << 20;
// The lock file: LMDB's header plus one 64-byte slot per reader, with room
// to spare (LMDB derives the slot count from the size it finds).
constexpr off_t kLockFileBytes = (kMaxReaders + 64) * 64 + 4096;
constexpr std::string_view kCreatingPrefix = ".creating-";

util::Status Errno(int err, const std::string& what) {
  if (err == ENOSPC || err == EDQUOT) {
    return util::Error(
        util::Code::kIOError,
        "disk full (" + std::string(err == ENOSPC ? "ENOSPC" : "EDQUOT") + ") " + what);
  }
  return util::Error(util::Code::kIOError, what + ": " + std::strerror(err));
}

// Allocates lock.mdb before LMDB maps it. LMDB makes it with ftruncate (a
// sparse file) and writes it through a shared mapping: on a full disk the
// first write to a hole is SIGBUS, which kills the process with no word.
// Only a file this call creates is touched: glibc's posix_fallocate may
// emulate by writing, which must never happen under live readers.
util::Status PreallocateLock(const std::string& dir) {
  const std::string path = dir + "/lock.mdb";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return util::Status::Ok();
    return Errno(errno, "creating " + path);
  }
  const int rc = posix_fallocate(fd, 0, kLockFileBytes);
  close(fd);
  if (rc != 0) {
    unlink(path.c_str());
    return Errno(rc, "creating " + path);
  }
  return util::Status::Ok();
}

// Removes what creators killed half-way left behind (their pid is gone).
void RemoveDeadCreations(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kCreatingPrefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + kCreatingPrefix.size(), nullptr, 10);
    if (pid <= 0 || (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
      std::error_code ignored;
      fs::remove_all(it->path(), ignored);
    }
  }
}

util::Result<EnvPtr> OpenIn(const std::string& dir, const Options& opts) {
  if (!opts.read_only) {
    if (util::Status s = PreallocateLock(dir); !s.ok()) return s;
  }
  MDB_env* raw = nullptr;
  int rc = mdb_env_create(&raw);
  if (rc != 0) return LmdbError(rc, "open store " + dir);
  EnvPtr env(raw);
  if (mdb_env_get_maxkeysize(raw) < static_cast<int>(kMaxKeyBytes)) {
    return util::Error(util::Code::kInternal, "liblmdb was built with a key limit below 511");
  }
  rc = mdb_env_set_maxdbs(raw, 32);
  if (rc == 0) rc = mdb_env_set_maxreaders(raw, kMaxReaders);
  if (rc == 0) rc = mdb_env_set_mapsize(raw, opts.initial_map_size);
  if (rc != 0) return LmdbError(rc, "open store " + dir);
  // MDB_NOTLS: reader slots follow transactions, not threads, so Read may
  // run on any thread (and on several at once).
  unsigned flags = MDB_NOTLS;
  if (opts.read_only) flags |= MDB_RDONLY;
  if (opts.no_sync) flags |= MDB_NOSYNC;
  rc = mdb_env_open(raw, dir.c_str(), flags, 0600);
  if (rc == ENOSPC || rc == EDQUOT) return Errno(rc, "opening " + dir + "/data.mdb");
  if (rc != 0) return LmdbError(rc, "open store " + dir);
  // A slot a killed reader left behind stays taken (and pins the pages of
  // its snapshot) until someone clears it: every open does.
  ClearStaleReaders(raw);
  return env;
}

// Builds a stamped store in a private subdirectory and links its data.mdb
// into `dir` (link, unlike rename, never replaces a store another creator
// put there first).
util::Status CreateAtomically(const std::string& dir, const Options& opts,
                              const std::function<util::Status(MDB_env*)>& init) {
  const long long free_bytes = FreeBytes(dir);
  if (free_bytes >= 0 && free_bytes < kMinFreeToCreate) {
    return util::Error(util::Code::kIOError, "disk full (ENOSPC) creating " + dir +
                                                 "/data.mdb: " + std::to_string(free_bytes) +
                                                 " bytes free, a new store needs at least " +
                                                 std::to_string(kMinFreeToCreate));
  }
  std::string tmpl =
      dir + "/" + std::string(kCreatingPrefix) + std::to_string(getpid()) + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return Errno(errno, "creating " + tmpl);
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } cleanup{tmpl};
  {
    util::Result<EnvPtr> env = OpenIn(tmpl, opts);
    if (!env) return env.status();
    if (util::Status s = init(env->get()); !s.ok()) {
      const long long left = FreeBytes(dir);
      if (s.code() == util::Code::kIOError && left >= 0 && left < kFullDiskSlack) {
        return util::Error(util::Code::kIOError,
                           "disk full (ENOSPC) creating " + dir + "/data.mdb: " + s.message());
      }
      return s;
    }
    // Committed above; make sure it is on disk before it is published.
    if (int rc = mdb_env_sync(env->get(), 1); rc != 0) {
      return WriteError(rc, dir, "creating " + dir + "/data.mdb");
    }
  }
  const std::string from = tmpl + "/data.mdb";
  const std::string to = dir + "/data.mdb";
  if (link(from.c_str(), to.c_str()) != 0 && errno != EEXIST) {
    return Errno(errno, "creating " + to);
  }
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return util::Status::Ok();
}

}  // namespace

long long FreeBytes(const std::string& path) {
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) return -1;
  return static_cast<long long>(st.f_bavail) * static_cast<long long>(st.f_frsize);
}

int ClearStaleReaders(MDB_env* env) {
  int dead = 0;
  if (mdb_reader_check(env, &dead) != 0) return 0;
  return dead;
}

util::Status WriteError(int rc, const std::string& dir, std::string_view what) {
  const bool space = rc == ENOSPC || rc == EDQUOT || rc == EFBIG;
  if (space || rc == EIO) {
    const long long free_bytes = FreeBytes(dir);
    if (space || (free_bytes >= 0 && free_bytes < kFullDiskSlack)) {
      std::string msg = "disk full (";
      msg += rc == EDQUOT ? "EDQUOT" : rc == EFBIG ? "EFBIG" : "ENOSPC";
      msg += ") writing " + dir + "/data.mdb (" + std::string(what) + "; " +
             std::to_string(free_bytes < 0 ? 0 : free_bytes) +
             " bytes free): nothing of this transaction was written, the store is unchanged";
      return util::Error(util::Code::kIOError, std::move(msg));
    }
  }
  return LmdbError(rc, what);
}

util::Result<EnvPtr> OpenEnv(const std::string& dir, const Options& opts,
                             const std::function<util::Status(MDB_env*)>& init) {
  if (!opts.read_only) {
    RemoveDeadCreations(dir);
    std::error_code ec;
    if (!fs::exists(fs::path(dir) / "data.mdb", ec)) {
      if (util::Status s = CreateAtomically(dir, opts, init); !s.ok()) return s;
    }
  }
  return OpenIn(dir, opts);
}

}  // namespace store::detail
