#include "store/detail/lmdb.h"

#include <cerrno>

namespace store::detail {
namespace {

util::Code CodeFor(int rc) {
  switch (rc) {
    case MDB_NOTFOUND:
      return util::Code::kNotFound;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE:
      return util::Code::kCorruption;
    // MDB_MAP_FULL only escapes Store::Write once max_map_size is reached:
    // to the operator that is a full disk.
    case MDB_MAP_FULL:
    case MDB_PANIC:
    case ENOSPC:
    case EFBIG:
    case EIO:
    case EDQUOT:
    case EACCES:
    case EPERM:
    case EROFS:
    case ENOENT:
    case ENOMEM:
    case EAGAIN:
      return util::Code::kIOError;
    default:
      return util::Code::kInternal;
  }
}

}  // namespace

util::Status LmdbError(int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += mdb_strerror(rc);
  return util::Error(CodeFor(rc), std::move(msg));
}

}  // namespace store::detail
