// Promises of `deskmail run` no test held it to: SIGINT and SIGTERM during
// a sync finish the batch in flight, commit it with its checkpoint and exit
// cleanly (nothing lost or doubled when the next run picks up); at debug and
// trace level no token or password reaches the log. Real Dovecot, real store.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "tests/engine/run_sandbox.h"
#include "tests/imap/dovecot_fixture.h"

namespace {

using namespace std::chrono_literals;
using namespace run_test;

}  // namespace

TEST_CASE("SIGINT and SIGTERM mid-sync finish the batch in flight and exit cleanly", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  for (int sig : {SIGTERM, SIGINT}) {
    INFO("signal " << sig);
    RunSandbox sb(d);
    const std::string user = imap_test::UniqueUser("run-signal");
    const int n = 300;
    AppendMessages(d, user, 0, n, 20000);
    sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600), false, "INBOX",
                     "fetch_batch_max_count = 25\n"}});
    const pid_t pid = sb.Spawn("--once");
    REQUIRE(WaitFor([&] { return sb.Messages() >= 25; }, 60s));
    int st = 0;
    REQUIRE(waitpid(pid, &st, WNOHANG) == 0);  // still syncing
    const std::uint64_t at_signal = sb.Messages();
    REQUIRE(at_signal < static_cast<std::uint64_t>(n));
    kill(pid, sig);
    // Stops after the batch in flight: well before the rest is fetched.
    const bool exited = WaitFor([&] { return waitpid(pid, &st, WNOHANG) == pid; }, 150s);
    if (!exited) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
    }
    INFO(sb.SpawnLog());
    REQUIRE(exited);
    CHECK(WIFEXITED(st));  // not killed by the signal: it was handled
    // A pass cut short is not a finished pass: 128 + the signal, not 0.
    CHECK(WEXITSTATUS(st) == 128 + sig);
    CHECK_THAT(sb.SpawnLog(), Catch::Contains("finishing the commit in progress and stopping"));
    const std::uint64_t at_exit = sb.Messages();
    CHECK(at_exit >= at_signal);
    CHECK(at_exit < static_cast<std::uint64_t>(n));  // it did stop early
    CHECK(at_exit % 25 == 0);                        // whole batches only
    // The summary counts what was committed, though the pass was cut short.
    CHECK_THAT(sb.SpawnOut(), Catch::Contains("support: " + std::to_string(at_exit) + " fetched, " +
                                              std::to_string(at_exit) + " new tickets"));
    // The next run takes the rest: exactly n, no duplicate.
    auto r = sb.Run("run --once");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(sb.Messages() == static_cast<std::uint64_t>(n));
    CHECK(sb.Tickets() == static_cast<std::uint64_t>(n));
  }
}

namespace {

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int k = 3; k >= 0; --k) out += kAlphabet[(v >> (6 * k)) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

// The security helper's scripted-server test covers redaction of what a
// server echoes; this is the normal path: a real login at trace level.
TEST_CASE("at debug and trace level no token or password reaches the log", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  const std::string oauth_user = imap_test::UniqueUser("trace-oauth");
  const std::string pw_user = imap_test::UniqueUser("trace-pw");
  AppendMessages(d, oauth_user, 0, 3);
  AppendMessages(d, pw_user, 0, 3);
  const std::string token_file = sb.TokenFile(oauth_user, 3600);
  std::ifstream in(token_file);
  std::string token;
  std::getline(in, token);
  REQUIRE(token.size() > 20);
  const std::string password = "test-password";
  const std::string pw_file = sb.File("pw", password + "\n");
  sb.WriteConfig({{"oauth", oauth_user, token_file}, {"pw", pw_user, pw_file, true}});
  const std::string sasl = "user=" + oauth_user + "\x01" + "auth=Bearer " + token + "\x01\x01";
  for (const char* level : {"debug", "trace"}) {
    INFO("log level " << level);
    auto r = sb.Run(std::string("--log-level ") + level + " run --once");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.err.size() > 0);  // something was logged at this level
    const std::string all = r.out + r.err + sb.SpawnLog();
    CHECK(all.find(token) == std::string::npos);
    CHECK(all.find(token.substr(token.size() - 20)) == std::string::npos);  // the signature
    CHECK(all.find(Base64(sasl)) == std::string::npos);
    CHECK(all.find(Base64(token)) == std::string::npos);
    CHECK(all.find(password) == std::string::npos);
    CHECK(all.find(Base64(std::string("\0", 1) + pw_user + std::string("\0", 1) + password)) ==
          std::string::npos);
  }
  CHECK(sb.Messages() == 6);
}
