// Behaviour across processes: LMDB forbids opening one environment twice in
// a process, so the second party is a fork()ed child that opens its own
// Store. Children report through exit codes and pipes, never through Catch.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "store/store.h"
#include "tests/store/test_util.h"
#include "util/sha256.h"

namespace {

using store_test::FastOptions;
using store_test::OpenStore;
using store_test::TempDir;
using util::Code;
using util::Status;

// Blocks for one byte; -1 when the other side closed the pipe.
int ReadByte(int fd) {
  unsigned char c = 0;
  return read(fd, &c, 1) == 1 ? c : -1;
}
void WriteByte(int fd, int v) {
  const unsigned char c = static_cast<unsigned char>(v);
  (void)!write(fd, &c, 1);
}

Status AddTicket(store::WriteTxn& txn) {
  store::TicketRecord t;
  t.id = txn.AllocateTicketId();
  return txn.PutTicket(t);
}

// Child side of the reader test: on each request, reports how many tickets
// a fresh read-only snapshot sees (0xff on error).
[[noreturn]] void ReaderChild(const std::string& dir, int requests, int replies) {
  std::unique_ptr<store::Store> st;
  while (ReadByte(requests) >= 0) {
    if (!st) {
      store::Options o = FastOptions();
      o.read_only = true;
      auto r = store::Store::Open(dir, o);
      if (!r.ok()) {
        WriteByte(replies, 0xff);
        continue;
      }
      st = std::move(r).value();
    }
    std::uint64_t n = 0;
    Status s = st->Read([&](store::ReadTxn& txn) {
      n = txn.TicketCount();
      if (txn.GetTicket(n + 1)) return util::Error(Code::kInternal, "beyond count");
      // A ticket's subject may name a raw blob that must be readable too.
      bool ok = true;
      txn.ForEachTicket([&](const store::TicketRecord& t) {
        if (!t.subject.empty() && !txn.GetRaw(t.subject)) ok = false;
        return ok;
      });
      return ok ? txn.error() : util::Error(Code::kInternal, "raw missing");
    });
    WriteByte(replies, s.ok() ? static_cast<int>(n) : 0xff);
  }
  _exit(0);
}

TEST_CASE("process: a reader process sees the last commit, also after the map grew", "[process]") {
  TempDir tmp;
  int req[2];
  int rep[2];
  REQUIRE(pipe(req) == 0);
  REQUIRE(pipe(rep) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(req[1]);
    close(rep[0]);
    ReaderChild(tmp.store(), req[0], rep[1]);
  }
  close(req[0]);
  close(rep[1]);

  int during = -1;
  int after = -1;
  int grown = -1;
  {
    auto st = OpenStore(tmp.store());
    REQUIRE(st->Write(AddTicket).ok());
    Status s = st->Write([&](store::WriteTxn& txn) {
      if (Status p = AddTicket(txn); !p.ok()) return p;
      if (Status p = AddTicket(txn); !p.ok()) return p;
      WriteByte(req[1], 'r');  // the child reads while this txn is open
      during = ReadByte(rep[0]);
      return Status::Ok();
    });
    REQUIRE(s.ok());
    WriteByte(req[1], 'r');
    after = ReadByte(rep[0]);

    // Grow the map well past the child's view of it: its next read must
    // pick up the new size (MDB_MAP_RESIZED) and see the blob.
    const std::string blob = store_test::Incompressible(3 * FastOptions().initial_map_size, 7);
    const std::uint64_t before = st->map_size();
    REQUIRE(st->Write([&](store::WriteTxn& txn) {
                store::TicketRecord t;
                t.id = txn.AllocateTicketId();
                t.subject = util::Sha256Hex(blob);
                if (Status p = txn.PutRaw(t.subject, blob); !p.ok()) return p;
                return txn.PutTicket(t);
              }).ok());
    CHECK(st->map_size() > before);
    WriteByte(req[1], 'r');
    grown = ReadByte(rep[0]);
  }
  close(req[1]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  close(rep[0]);
  CHECK(WIFEXITED(status));
  CHECK(during == 1);
  CHECK(after == 3);
  CHECK(grown == 4);
}

// Child side of the full-disk test. Exit codes name the failed step.
[[noreturn]] void FullDiskChild(const std::string& dir) {
  signal(SIGXFSZ, SIG_IGN);  // let write() fail with EFBIG instead
  auto opened = store::Store::Open(dir, FastOptions());
  if (!opened.ok()) _exit(10);
  store::Store& st = **opened;
  struct stat sb {};
  if (stat((dir + "/data.mdb").c_str(), &sb) != 0) _exit(11);
  rlimit lim{};
  getrlimit(RLIMIT_FSIZE, &lim);
  rlimit tight = lim;
  tight.rlim_cur = static_cast<rlim_t>(sb.st_size) + (64 << 10);
  if (setrlimit(RLIMIT_FSIZE, &tight) != 0) _exit(12);

  const std::string big = store_test::Incompressible(1 << 20, 66);
  Status s = st.Write([&](store::WriteTxn& txn) {
    if (Status p = txn.PutAccount("during", "full"); !p.ok()) return p;
    return txn.PutRaw(util::Sha256Hex(big), big);
  });
  if (s.code() != Code::kIOError) _exit(13);
  if (s.message().find("commit") == std::string::npos) _exit(14);

  if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(15);  // the disk has room again
  s = st.Write([&](store::WriteTxn& txn) { return txn.PutAccount("after", "ok"); });
  if (!s.ok()) _exit(16);
  _exit(0);
}

TEST_CASE("process: a commit on a full disk fails whole and the store stays usable", "[process]") {
  TempDir tmp;
  {
    auto st = OpenStore(tmp.store());
    REQUIRE(st->Write([](store::WriteTxn& txn) { return txn.PutAccount("before", "x"); }).ok());
  }
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) FullDiskChild(tmp.store());
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  auto st = OpenStore(tmp.store());
  REQUIRE(st->Read([&](store::ReadTxn& txn) {
              CHECK(txn.GetAccount("before") == std::optional<std::string>("x"));
              CHECK(txn.GetAccount("after") == std::optional<std::string>("ok"));
              CHECK_FALSE(txn.GetAccount("during"));
              CHECK_FALSE(txn.GetRaw(util::Sha256Hex(store_test::Incompressible(1 << 20, 66))));
              return txn.error();
            }).ok());
}

}  // namespace
