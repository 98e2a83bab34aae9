#include "util/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <sstream>

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

// Issue 15: children get nothing they do not need.
TEST_CASE("a child sees only the allow-listed environment and the names it is given") {
  setenv("DESKMAIL_TEST_CLIENT_SECRET", "s3cr3t-value", 1);
  setenv("DESKMAIL_MASTER_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
         1);
  setenv("DESKMAIL_TEST_PASSED", "visible", 1);
  setenv("LC_TIME", "C", 1);
  util::ShellOptions opts;
  opts.pass_env = {"DESKMAIL_TEST_PASSED", "DESKMAIL_MASTER_KEY"};  // the key never passes
  auto r = util::RunShell("env", "", true, opts);
  unsetenv("DESKMAIL_TEST_CLIENT_SECRET");
  unsetenv("DESKMAIL_MASTER_KEY");
  unsetenv("DESKMAIL_TEST_PASSED");
  REQUIRE(r.ok());
  CHECK_THAT(r->output, !Catch::Contains("s3cr3t-value"));
  CHECK_THAT(r->output, !Catch::Contains("DESKMAIL_MASTER_KEY"));
  CHECK_THAT(r->output, !Catch::Contains("00112233445566778899"));
  CHECK_THAT(r->output, Catch::Contains("DESKMAIL_TEST_PASSED=visible"));
  CHECK_THAT(r->output, Catch::Contains("LC_TIME=C"));
  CHECK_THAT(r->output, Catch::Contains("PATH="));
}

TEST_CASE("a child inherits no descriptor above stderr, close-on-exec or not") {
  int leaked = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  REQUIRE(leaked > 2);
  auto r = util::RunShell("ls /proc/$$/fd", "", true);
  ::close(leaked);
  REQUIRE(r.ok());
  std::set<std::string> fds;
  std::istringstream in(r->output);
  for (std::string line; std::getline(in, line);) fds.insert(line);
  // The shell's own: stdin, stdout, stderr (and perhaps one ls has open
  // while listing, which is ls's, not ours: it is not the leaked number).
  CHECK(fds.count("0") == 1);
  CHECK(fds.count("1") == 1);
  CHECK(fds.count(std::to_string(leaked)) == 0);
  for (const auto& f : fds) CHECK(std::stoi(f) <= 2);
}

TEST_CASE("a command past its deadline is killed with everything it started") {
  util::ShellOptions opts;
  opts.timeout = std::chrono::milliseconds(300);
  auto t0 = std::chrono::steady_clock::now();
  auto r = util::RunShell("sleep 30 & sleep 30; echo done", "", true, opts);
  auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(r->exit_status == -1);
  CHECK(took < std::chrono::seconds(5));
  // Not captured: the deadline holds for the wait as well.
  auto quiet = util::RunShell("sleep 30", "", false, opts);
  REQUIRE(quiet.ok());
  CHECK(quiet->timed_out);
}

TEST_CASE("output is bounded and a full pipe in both directions does not deadlock") {
  util::ShellOptions opts;
  opts.max_output = 1000;
  auto r = util::RunShell("yes | head -c 5000000", "", true, opts);
  REQUIRE(r.ok());
  CHECK(r->truncated);
  CHECK(r->output.size() == 1000);
  CHECK(r->exit_status == 0);
  // The child echoes 4 MiB while we are still writing it: writing all of
  // stdin first would block forever on the full stdout pipe.
  std::string big(4 << 20, 'x');
  util::ShellOptions wide;
  wide.max_output = 8 << 20;
  wide.timeout = std::chrono::seconds(20);
  auto echo = util::RunShell("cat", big, true, wide);
  REQUIRE(echo.ok());
  CHECK_FALSE(echo->timed_out);
  CHECK(echo->output.size() == big.size());
}
