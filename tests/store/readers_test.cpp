// Processes killed around the store: readers SIGKILLed inside a read
// transaction (their slots must not lock everyone out nor pin pages), and
// creators SIGKILLed while the store is being made (read-only commands must
// still open it). The parent never opens a Store before it forks: LMDB
// environments must not cross fork(), so every party is its own child.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "store/store.h"
#include "tests/store/test_util.h"

namespace {

using store_test::FastOptions;
using store_test::TempDir;
using util::Status;

int ReadByte(int fd) {
  unsigned char c = 0;
  return read(fd, &c, 1) == 1 ? c : -1;
}
void WriteByte(int fd, int v) {
  const unsigned char c = static_cast<unsigned char>(v);
  (void)!write(fd, &c, 1);
}

// Tickets with a payload big enough that pinned pages show in the file size.
Status AddTickets(store::WriteTxn& txn, int n, int round) {
  for (int i = 0; i < n; ++i) {
    store::TicketRecord t;
    t.id = txn.AllocateTicketId();
    t.subject = store_test::Incompressible(2000, static_cast<std::uint64_t>(round * 1000 + i));
    if (Status s = txn.PutTicket(t); !s.ok()) return s;
  }
  return Status::Ok();
}

// Rewrites every ticket: each round frees as many pages as it writes, so a
// store whose freed pages can be reused stays the same size.
Status RewriteAll(store::WriteTxn& txn, int round) {
  std::vector<store::TicketRecord> all;
  txn.ForEachTicket([&](const store::TicketRecord& t) {
    all.push_back(t);
    return true;
  });
  for (store::TicketRecord& t : all) {
    t.subject = store_test::Incompressible(2000, static_cast<std::uint64_t>(round * 7919 + t.id));
    if (Status s = txn.PutTicket(t); !s.ok()) return s;
  }
  return Status::Ok();
}

// The long-lived writer (what `deskmail run` is): on 'w' rewrites every
// ticket and answers with 1 (0 on error); exits on EOF.
[[noreturn]] void WriterChild(const std::string& dir, int requests, int replies) {
  auto st = store::Store::Open(dir, FastOptions());
  if (!st.ok() || !(*st)->Write([](store::WriteTxn& t) { return AddTickets(t, 200, 0); }).ok()) {
    WriteByte(replies, 0);
    _exit(1);
  }
  WriteByte(replies, 1);
  int round = 1;
  while (ReadByte(requests) == 'w') {
    const int r = round++;
    Status s = (*st)->Write([&](store::WriteTxn& t) { return RewriteAll(t, r); });
    WriteByte(replies, s.ok() ? 1 : 0);
  }
  _exit(0);
}

// A reader (`tickets show | head`): opens read-only, starts a read, says
// so (1), and blocks inside the transaction until it is killed. 0 when it
// could not open or read.
[[noreturn]] void StuckReaderChild(const std::string& dir, int replies) {
  store::Options o = FastOptions();
  o.read_only = true;
  auto st = store::Store::Open(dir, o);
  if (!st.ok()) {
    WriteByte(replies, 0);
    _exit(1);
  }
  (void)(*st)->Read([&](store::ReadTxn& txn) {
    (void)txn.TicketCount();
    WriteByte(replies, txn.error().ok() ? 1 : 0);
    for (;;) pause();
    return Status::Ok();
  });
  _exit(1);
}

// Rewrites `rounds` times with `killed` readers SIGKILLed in between (all
// inside a read); returns data.mdb's size. Every reader must have got in.
std::uintmax_t Churn(const std::string& dir, int rounds, int killed) {
  int req[2];
  int rep[2];
  REQUIRE(pipe(req) == 0);
  REQUIRE(pipe(rep) == 0);
  const pid_t writer = fork();
  REQUIRE(writer >= 0);
  if (writer == 0) {
    close(req[1]);
    close(rep[0]);
    WriterChild(dir, req[0], rep[1]);
  }
  close(req[0]);
  REQUIRE(ReadByte(rep[0]) == 1);

  int got_in = 0;
  for (int i = 0; i < killed; ++i) {
    int p[2];
    REQUIRE(pipe(p) == 0);
    const pid_t reader = fork();
    REQUIRE(reader >= 0);
    if (reader == 0) {
      close(p[0]);
      StuckReaderChild(dir, p[1]);
    }
    close(p[1]);
    if (ReadByte(p[0]) == 1) ++got_in;
    close(p[0]);
    kill(reader, SIGKILL);
    REQUIRE(waitpid(reader, nullptr, 0) == reader);
    // Spread the rewrites over the kills so each one runs with stale slots.
    if (rounds > 0 && killed > 0 && i % std::max(1, killed / rounds) == 0) {
      WriteByte(req[1], 'w');
      REQUIRE(ReadByte(rep[0]) == 1);
    }
  }
  for (int r = 0; killed == 0 && r < rounds; ++r) {
    WriteByte(req[1], 'w');
    REQUIRE(ReadByte(rep[0]) == 1);
  }
  CHECK(got_in == killed);
  close(req[1]);
  int status = 0;
  REQUIRE(waitpid(writer, &status, 0) == writer);
  CHECK(WIFEXITED(status));
  close(rep[0]);
  return std::filesystem::file_size(dir + "/data.mdb");
}

}  // namespace

TEST_CASE("readers: 300 readers killed mid-read beside a writer lock nobody out", "[readers]") {
  TempDir tmp;
  const std::uintmax_t size = Churn(tmp.store(), 20, 300);

  // A new process opens the store and reads it (the parent has forked its
  // last child, so it may open the store itself now).
  store::Options o = FastOptions();
  o.read_only = true;
  auto st = store_test::OpenStore(tmp.store(), o);
  std::uint64_t n = 0;
  REQUIRE(st->Read([&](store::ReadTxn& txn) {
              n = txn.TicketCount();
              return txn.error();
            }).ok());
  CHECK(n == 200);

  // The same rewrites with no reader killed: stale slots must not have
  // pinned pages (before the fix: several times the size).
  TempDir control;
  const std::uintmax_t clean = Churn(control.store(), 20, 0);
  INFO("with killed readers " << size << " bytes, without " << clean);
  CHECK(size <= clean + clean / 2);
}

TEST_CASE("readers: the reader table holds at least 512 live readers", "[readers]") {
  TempDir tmp;
  { auto st = store_test::OpenStore(tmp.store()); }
  // Each child holds a read open; all are alive at once.
  std::vector<pid_t> kids;
  int live = 0;
  for (int i = 0; i < 520; ++i) {
    int p[2];
    REQUIRE(pipe(p) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(p[0]);
      StuckReaderChild(tmp.store(), p[1]);
    }
    close(p[1]);
    const int b = ReadByte(p[0]);
    close(p[0]);
    kids.push_back(pid);
    if (b == 1) ++live;
  }
  for (pid_t pid : kids) kill(pid, SIGKILL);
  for (pid_t pid : kids) waitpid(pid, nullptr, 0);
  CHECK(live == 520);
  // Every slot is stale now; a new reader must still get in.
  store::Options o = FastOptions();
  o.read_only = true;
  auto st = store_test::OpenStore(tmp.store(), o);
  REQUIRE(st->Read([](store::ReadTxn& txn) { return txn.error(); }).ok());
}

TEST_CASE("creation: a store killed while being created opens read-only", "[creation]") {
  // Kill a creating process at random offsets over the first ~30 ms; after
  // each kill a read-only open either finds no store (nothing to read) or an
  // empty one, never a half-made one it refuses, and a writer completes it.
  std::mt19937 rng(14);
  int landed_before = 0;
  int landed_after = 0;
  for (int round = 0; round < 60; ++round) {
    TempDir tmp;
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      store::Options o;  // real fsyncs: creation takes as long as it does for users
      auto st = store::Store::Open(tmp.store(), o);
      _exit(st.ok() ? 0 : 1);
    }
    const long us = std::uniform_int_distribution<long>(0, 30000)(rng);
    const timespec ts{0, us * 1000};
    nanosleep(&ts, nullptr);
    kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status))
      ++landed_before;
    else
      ++landed_after;

    store::Options ro = FastOptions();
    ro.read_only = true;
    auto r = store::Store::Open(tmp.store(), ro);
    if (r.ok()) {
      std::uint64_t n = 1;
      Status s = (*r)->Read([&](store::ReadTxn& txn) {
        n = txn.TicketCount();
        return txn.error();
      });
      INFO("round " << round << " after " << us << " us: " << s.ToString());
      CHECK(s.ok());
      CHECK(n == 0);
    } else {
      INFO("round " << round << " after " << us << " us: " << r.status().ToString());
      CHECK(r.status().code() == util::Code::kNotFound);
      CHECK_FALSE(std::filesystem::exists(tmp.store() + "/data.mdb"));
    }
    r = util::Error(util::Code::kInternal, "closed");
    // A writer completes (or creates) it and leaves no temporary behind.
    auto w = store::Store::Open(tmp.store(), FastOptions());
    REQUIRE(w.ok());
    int leftovers = 0;
    for (const auto& e : std::filesystem::directory_iterator(tmp.store())) {
      if (e.path().filename().string().rfind(".creating-", 0) == 0) ++leftovers;
    }
    CHECK(leftovers == 0);
  }
  INFO("kills that landed mid-creation: " << landed_before << ", after: " << landed_after);
  CHECK(landed_before > 0);
}
