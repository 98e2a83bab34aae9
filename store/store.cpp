#include "store/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <shared_mutex>

#include "store/detail/env.h"
#include "store/detail/keys.h"
#include "store/detail/lmdb.h"
#include "store/detail/txn.h"
#include "store/detail/verify.h"
#include "store/schema.h"

namespace store {
namespace {

using detail::Dbis;
using detail::EnvPtr;
using detail::LmdbError;
using detail::Txn;
using detail::TxnImpl;

// Bounds the retry loops: each MAP_FULL doubles the map (at most ~40 times
// between any sane sizes) and MAP_RESIZED needs one retry per resize by
// another process.
constexpr int kMaxAttempts = 100;
static_assert(kDbCount <= 32);  // env.cpp's mdb_env_set_maxdbs

std::uint64_t CurrentMapSize(MDB_env* env) {
  MDB_envinfo info{};
  mdb_env_info(env, &info);
  return info.me_mapsize;
}

class StoreImpl final : public Store {
 public:
  StoreImpl(std::string dir, const Options& opts, EnvPtr env, const Dbis& dbis)
      : dir_(std::move(dir)), opts_(opts), env_(std::move(env)), dbis_(dbis) {
    map_size_ = CurrentMapSize(env_.get());
  }

  util::Status Write(const std::function<util::Status(WriteTxn&)>& fn) override;
  util::Status Read(const std::function<util::Status(ReadTxn&)>& fn) override;
  std::string dir() const override { return dir_; }
  std::uint64_t map_size() const override { return map_size_.load(); }
  int CheckReaders() override { return detail::ClearStaleReaders(env_.get()); }
  util::Status VerifyInto(const VerifyOptions& opts, VerifyReport& report) override {
    return Read([&](ReadTxn& t) {
      return detail::VerifyTxn(static_cast<TxnImpl&>(t).raw_txn(), dbis_, opts, report);
    });
  }

 private:
  // Doubles the map after MDB_MAP_FULL (`cause` names the failed put).
  // REQUIRES: write_mu_ held, no transaction of this thread live.
  util::Status Grow(const util::Status& cause);
  // Takes over a map size another process grew (MDB_MAP_RESIZED).
  // REQUIRES: no transaction of this thread live.
  util::Status AdoptResize();

  const std::string dir_;
  const Options opts_;
  EnvPtr env_;
  const Dbis dbis_;
  std::atomic<std::uint64_t> map_size_{0};
  // One write transaction at a time (LMDB would block a second one anyway,
  // but inside a process this mutex keeps Grow's invariant simple).
  std::mutex write_mu_;
  // Shared by every live transaction of this process; exclusive while
  // mdb_env_set_mapsize runs, which LMDB only allows with no transaction
  // active in the process. This is why Read callbacks must be short.
  std::shared_mutex live_mu_;
  // Taken briefly before live_mu_ by everyone. A resize holds it while it
  // waits for live_mu_, so a stream of new readers cannot starve it (glibc's
  // rwlock prefers readers).
  std::mutex gate_mu_;

  std::shared_lock<std::shared_mutex> Live() {
    std::lock_guard<std::mutex> gate(gate_mu_);
    return std::shared_lock<std::shared_mutex>(live_mu_);
  }
  std::unique_lock<std::shared_mutex> Exclusive() {
    std::lock_guard<std::mutex> gate(gate_mu_);
    return std::unique_lock<std::shared_mutex>(live_mu_);
  }
};

util::Status StoreImpl::Grow(const util::Status& cause) {
  std::unique_lock<std::shared_mutex> all = Exclusive();
  const std::uint64_t cur = CurrentMapSize(env_.get());
  if (cur >= opts_.max_map_size) {
    return util::Error(util::Code::kIOError,
                       "map full (MDB_MAP_FULL): " + dir_ +
                           "/data.mdb reached its maximum map size of " + std::to_string(cur) +
                           " bytes (" + cause.message() +
                           "); nothing of this transaction was written, the store is unchanged");
  }
  const std::uint64_t next =
      std::min(opts_.max_map_size, cur > UINT64_MAX / 2 ? UINT64_MAX : cur * 2);
  int rc = mdb_env_set_mapsize(env_.get(), next);
  if (rc != 0) return LmdbError(rc, "grow map of " + dir_ + " to " + std::to_string(next));
  map_size_ = CurrentMapSize(env_.get());
  return util::Status::Ok();
}

util::Status StoreImpl::AdoptResize() {
  std::unique_lock<std::shared_mutex> all = Exclusive();
  int rc = mdb_env_set_mapsize(env_.get(), 0);
  if (rc != 0) return LmdbError(rc, "adopt map size of " + dir_);
  map_size_ = CurrentMapSize(env_.get());
  return util::Status::Ok();
}

util::Status StoreImpl::Write(const std::function<util::Status(WriteTxn&)>& fn) {
  if (opts_.read_only) {
    return util::Error(util::Code::kInvalidArgument, "store " + dir_ + " was opened read-only");
  }
  std::lock_guard<std::mutex> writer(write_mu_);
  // Slots of readers killed mid-read pin the pages of their snapshot, so
  // this commit could not reuse them and the file would grow: clear them
  // here, where it matters. It costs a scan of the reader table and one
  // fcntl per distinct pid, nothing beside a commit's fsync; a timer thread
  // would cost every CLI process a thread, and a daemon that does not
  // write has no pages to reuse (new readers that find the table full
  // clear it themselves, see Read).
  detail::ClearStaleReaders(env_.get());
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::shared_lock<std::shared_mutex> live = Live();
    MDB_txn* raw = nullptr;
    int rc = mdb_txn_begin(env_.get(), nullptr, 0, &raw);
    if (rc == MDB_MAP_RESIZED) {
      live.unlock();
      if (util::Status s = AdoptResize(); !s.ok()) return s;
      continue;
    }
    if (rc != 0) return detail::WriteError(rc, dir_, "begin write in " + dir_);
    Txn txn(raw);
    TxnImpl t(raw, dbis_, /*writable=*/true);
    util::Status s = fn(t);
    // Checked before fn's status: fn may have swallowed the failed put.
    if (t.map_full()) {
      util::Status cause = t.write_error();
      txn.Abort();
      live.unlock();
      if (util::Status g = Grow(cause); !g.ok()) return g;
      continue;
    }
    if (!s.ok()) return s;
    if (!t.write_error().ok()) return t.write_error();
    rc = txn.Commit();
    if (rc == MDB_MAP_FULL) {
      live.unlock();
      if (util::Status g = Grow(LmdbError(rc, "commit to " + dir_)); !g.ok()) return g;
      continue;
    }
    // A failed commit wrote no meta page: the store keeps its previous
    // state and the next Write starts from it (LMDB's guarantee).
    if (rc != 0) return detail::WriteError(rc, dir_, "commit to " + dir_);
    return util::Status::Ok();
  }
  return util::Error(util::Code::kInternal, "write to " + dir_ + ": gave up after " +
                                                std::to_string(kMaxAttempts) + " map resizes");
}

util::Status StoreImpl::Read(const std::function<util::Status(ReadTxn&)>& fn) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::shared_lock<std::shared_mutex> live = Live();
    MDB_txn* raw = nullptr;
    int rc = mdb_txn_begin(env_.get(), nullptr, MDB_RDONLY, &raw);
    if (rc == MDB_READERS_FULL && detail::ClearStaleReaders(env_.get()) > 0) continue;
    if (rc == MDB_MAP_RESIZED) {
      live.unlock();
      if (util::Status s = AdoptResize(); !s.ok()) return s;
      continue;
    }
    if (rc != 0) return LmdbError(rc, "begin read in " + dir_);
    Txn txn(raw);
    TxnImpl t(raw, dbis_, /*writable=*/false);
    return fn(t);
  }
  return util::Error(util::Code::kInternal, "read from " + dir_ + ": map keeps being resized");
}

// Creates `dir` (mode 0700: it will hold mail and secrets) unless read-only.
util::Status PrepareDir(const std::string& dir, bool read_only) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st)) {
      return util::Error(util::Code::kInvalidArgument, "open store " + dir + ": not a directory");
    }
    if (read_only && !fs::exists(fs::path(dir) / "data.mdb", ec)) {
      return util::Error(util::Code::kNotFound,
                         "open store " + dir + ": no store in this directory (data.mdb missing)");
    }
    return util::Status::Ok();
  }
  if (read_only) {
    return util::Error(
        util::Code::kNotFound,
        "open store " + dir + ": directory does not exist (a read-only open creates nothing)");
  }
  fs::create_directories(dir, ec);
  if (!ec) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) {
    return util::Error(util::Code::kIOError, "create store directory " + dir + ": " + ec.message());
  }
  return util::Status::Ok();
}

// Opens every named database and checks (or, on a fresh writable store,
// stamps) the schema version, all in one transaction.
util::Status OpenDatabases(MDB_env* env, const std::string& dir, bool read_only, Dbis& dbis) {
  MDB_txn* raw = nullptr;
  int rc = mdb_txn_begin(env, nullptr, read_only ? MDB_RDONLY : 0, &raw);
  if (rc != 0) return LmdbError(rc, "open store " + dir);
  Txn txn(raw);
  for (std::size_t i = 0; i < kDbCount; ++i) {
    const Db db = static_cast<Db>(i);
    // The raw databases of older schemas are read where they exist, never made.
    const bool legacy = db == Db::kRawV1 || db == Db::kRawV2;
    unsigned flags = read_only || legacy ? 0 : MDB_CREATE;
    if (db == Db::kMsgidIndex || db == Db::kFingerprintIndex || db == Db::kContentIndex)
      flags |= MDB_DUPSORT;
    const std::string name(kDbNames[i]);
    rc = mdb_dbi_open(raw, name.c_str(), flags, &dbis.dbi[i]);
    if (rc == MDB_NOTFOUND && (read_only || legacy) && db != Db::kMeta) continue;  // older store
    if (rc == MDB_NOTFOUND && read_only) {
      // A store whose creator died before its first commit (made by a
      // deskmail that did not yet create stores atomically): a valid,
      // empty environment. It reads as empty; the next writer stamps it.
      dbis = Dbis{};
      return util::Status::Ok();
    }
    if (rc == MDB_NOTFOUND) {
      return util::Error(util::Code::kNotFound,
                         "open store " + dir + ": not initialised (no meta database)");
    }
    if (rc != 0) return LmdbError(rc, "open store " + dir + ": database " + name);
    dbis.present[i] = true;
  }

  const MDB_dbi meta = dbis.dbi[static_cast<std::size_t>(Db::kMeta)];
  MDB_val k = detail::ToVal(kMetaSchemaVersion);
  MDB_val v{};
  rc = mdb_get(raw, meta, &k, &v);
  if (rc == MDB_NOTFOUND && read_only) {
    dbis = Dbis{};  // likewise: created, never stamped; reads as empty
    return util::Status::Ok();
  }
  if (rc == MDB_NOTFOUND) {
    const std::string stamp = detail::EncodeU64(kSchemaVersion);
    MDB_val sv = detail::ToVal(stamp);
    rc = mdb_put(raw, meta, &k, &sv, 0);
    if (rc != 0) return LmdbError(rc, "open store " + dir + ": stamp schema version");
  } else if (rc != 0) {
    return LmdbError(rc, "open store " + dir + ": read schema version");
  } else {
    std::optional<std::uint64_t> version = detail::DecodeU64(detail::FromVal(v));
    if (!version) {
      return util::Error(util::Code::kCorruption,
                         "open store " + dir + ": schema_version is not an 8-byte integer");
    }
    if (*version > kSchemaVersion) {
      return util::Error(util::Code::kCorruption,
                         "open store " + dir + ": schema version " + std::to_string(*version) +
                             " is newer than this deskmail understands (" +
                             std::to_string(kSchemaVersion) + "); use a newer deskmail");
    }
    // Older stores still read as they are (v1 records decode, the raw
    // databases of schemas 1 and 2 are read as fallbacks), so upgrading
    // is a restamp; a read-only open reads an older store as it is.
    if (*version < kSchemaVersion && !read_only) {
      const std::string stamp = detail::EncodeU64(kSchemaVersion);
      MDB_val sv = detail::ToVal(stamp);
      rc = mdb_put(raw, meta, &k, &sv, 0);
      if (rc != 0) return LmdbError(rc, "open store " + dir + ": upgrade schema version");
    }
  }
  // Committing (also the read-only transaction) makes the handles usable
  // by every later transaction of this environment.
  rc = txn.Commit();
  if (rc != 0) return LmdbError(rc, "open store " + dir + ": commit");
  return util::Status::Ok();
}

// LMDB opens data.mdb and lock.mdb itself; Debian's liblmdb does not mark
// them close-on-exec, so every child would inherit a read-write descriptor
// of the store. mdb_env_get_fd gives the data file's; the lock file's is
// not exposed, so every descriptor that points into the store directory
// is marked (util::RunShell closes all descriptors above 2 in children as
// well: this covers any other way a process might be started).
void CloseOnExec(MDB_env* env, const std::string& dir) {
  mdb_filehandle_t fd = -1;
  if (mdb_env_get_fd(env, &fd) == 0 && fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  std::error_code ec;
  const std::filesystem::path root = std::filesystem::canonical(dir, ec);
  if (ec) return;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::error_code ec2;
    auto target = std::filesystem::read_symlink(e.path(), ec2);
    if (ec2 || target.parent_path() != root) continue;
    int n = std::atoi(e.path().filename().c_str());
    int flags = ::fcntl(n, F_GETFD);
    if (flags >= 0) ::fcntl(n, F_SETFD, flags | FD_CLOEXEC);
  }
}

util::Result<std::unique_ptr<Store>> OpenImpl(const std::string& dir, const Options& opts) {
  if (opts.initial_map_size == 0 || opts.initial_map_size > opts.max_map_size) {
    return util::Error(util::Code::kInvalidArgument,
                       "open store " + dir + ": need 0 < initial_map_size <= max_map_size");
  }
  if (util::Status s = PrepareDir(dir, opts.read_only); !s.ok()) return s;
  auto stamp = [&](MDB_env* env) {
    Dbis ignored;
    return OpenDatabases(env, dir, /*read_only=*/false, ignored);
  };
  util::Result<EnvPtr> env = detail::OpenEnv(dir, opts, stamp);
  if (!env) return env.status();
  MDB_env* raw = env->get();
  CloseOnExec(raw, dir);
  Dbis dbis;
  if (util::Status s = OpenDatabases(raw, dir, opts.read_only, dbis); !s.ok()) return s;
  return std::unique_ptr<Store>(
      std::make_unique<StoreImpl>(dir, opts, std::move(env).value(), dbis));
}

}  // namespace

util::Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const Options& opts) {
  try {
    return OpenImpl(dir, opts);
  } catch (const std::exception& e) {
    return util::Error(util::Code::kInternal, "open store " + dir + ": " + e.what());
  }
}

}  // namespace store
