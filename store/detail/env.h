// Opening the LMDB environment safely: reader slots sized for the console
// and the CLI (with slots of killed processes cleared), a lock file that is
// allocated before LMDB maps it (a sparse one faults with SIGBUS on a full
// disk), and a new store that appears in its directory only once it is
// complete (a creator killed half-way leaves nothing a reader could trip on).
// Internal to store/.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "store/detail/lmdb.h"
#include "store/store.h"

namespace store::detail {

// Reader slots: one per live read transaction of any process. The console
// runs a few per request, every CLI command one; LMDB's default of 126 is
// used up by a cron job's worth of `tickets show | head`.
inline constexpr unsigned kMaxReaders = 512;

// Creates, configures and opens the environment of `dir` (which exists).
// A writable open of a directory without data.mdb first builds the store
// in a private subdirectory and links its data.mdb into place, so another
// process sees either no store or a stamped one. `init` runs in the first
// write transaction of a new store (it stamps the schema).
// REQUIRES: `init` commits what it writes.
util::Result<EnvPtr> OpenEnv(const std::string& dir, const Options& opts,
                             const std::function<util::Status(MDB_env*)>& init);

// Clears reader slots left by processes that died inside a read (SIGKILL,
// a crash). Returns how many were cleared (0 on error).
int ClearStaleReaders(MDB_env* env);

// An LMDB failure while writing `dir`: a full disk is named as one (LMDB
// reports a short write as EIO, which sends operators looking for failing
// hardware), anything else goes to LmdbError.
util::Status WriteError(int rc, const std::string& dir, std::string_view what);

// The free bytes of the filesystem holding `path`; -1 when unknown.
long long FreeBytes(const std::string& path);

}  // namespace store::detail
