#include "util/subprocess.h"

#include <signal.h>

#include <catch2/catch.hpp>

TEST_CASE("util::RunShell captures stdout, feeds stdin and reports the exit status") {
  auto r = util::RunShell("tr a-z A-Z", "hello\n", /*capture=*/true);
  REQUIRE(r.ok());
  CHECK(r->exit_status == 0);
  CHECK(r->output == "HELLO\n");
  auto failed = util::RunShell("exit 3", "", true);
  REQUIRE(failed.ok());
  CHECK(failed->exit_status == 3);
}

TEST_CASE("a command that ignores its stdin does not kill us with SIGPIPE") {
  std::string big(1 << 20, 'x');  // more than a pipe holds
  auto r = util::RunShell("exit 0", big, /*capture=*/false);
  REQUIRE(r.ok());
  CHECK(r->exit_status == 0);
}

TEST_CASE("a child starts with SIGINT and SIGTERM deliverable even when we block them") {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  // The shell kills itself; with an inherited block it would survive and exit 0.
  auto r = util::RunShell("kill -TERM $$; exit 0", "", true);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  REQUIRE(r.ok());
  CHECK(r->exit_status == -1);
}
