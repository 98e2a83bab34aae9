// `deskmail run` against the real Dovecot from tests/dovecot/start.sh: the
// binary as an operator runs it, a real LMDB store, real TLS and XOAUTH2.
// Skipped (with a warning) when scripts/test.sh did not start Dovecot.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "store/store.h"
#include "tests/engine/run_sandbox.h"
#include "tests/imap/dovecot_fixture.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using namespace run_test;

TEST_CASE("run --once turns N appended messages into N tickets, exactly once", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("run-once");
  AppendMessages(d, user, 0, 20);
  sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600)}});

  auto r = sb.Run("run --once");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(sb.Tickets() == 20);
  CHECK_THAT(r.out, Catch::Contains("20 fetched"));

  r = sb.Run("run --once");
  REQUIRE(r.code == 0);
  CHECK(sb.Tickets() == 20);
  CHECK(sb.Messages() == 20);

  AppendMessages(d, user, 20, 5);
  r = sb.Run("run --once");
  REQUIRE(r.code == 0);
  CHECK(sb.Tickets() == 25);
  CHECK(sb.TicketSubjects().size() == 25);
}

TEST_CASE("an expired token and a bad password are 'auth rejected', not transient", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("run-expired");
  std::string pw = sb.File("pw", "not-the-password\n");
  sb.WriteConfig(
      {{"expired", user, sb.TokenFile(user, -60)}, {"badpw", user, pw, /*password=*/true}});
  auto r = sb.Run("run --once");
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("account expired: auth rejected"));
  CHECK_THAT(r.err, Catch::Contains("account badpw: auth rejected"));
  // Never a token or password in the output.
  CHECK_THAT(r.err, !Catch::Contains("not-the-password"));
  CHECK_THAT(r.err, !Catch::Contains("eyJ"));
}

TEST_CASE("one account's failure does not stop another", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string good = imap_test::UniqueUser("run-good");
  std::string bad = imap_test::UniqueUser("run-bad");
  AppendMessages(d, good, 0, 3);
  sb.WriteConfig({{"bad", bad, sb.TokenFile(bad, -60)}, {"good", good, sb.TokenFile(good, 3600)}});
  auto r = sb.Run("run --once");
  CHECK(r.code == 1);
  CHECK(sb.Tickets() == 3);
}

TEST_CASE("a certificate from another CA fails TLS verification", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("run-tls");
  sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600)}});
  std::string cfg = sb.dir() + "/deskmail.toml";
  std::string cmd = "sed -i 's|ca_file = .*|ca_file = \"" + d.wrong_ca() + "\"|' " + cfg;
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto r = sb.Run("run --once");
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("TLS error"));
}

TEST_CASE("SIGKILL in the middle of a large batch loses and doubles nothing", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("run-kill");
  const int n = 400;
  AppendMessages(d, user, 0, n, 20000);
  sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600), false, "INBOX",
                   "fetch_batch_max_count = 25\n"}});
  // Kill at several points of the sync, then let it finish. Each kill must
  // land mid-run: the commits reached the mark, the process was still
  // running when the signal went, it died of it, and mail was left to fetch.
  for (std::uint64_t kill_after : {1u, 60u, 200u}) {
    INFO("kill after " << kill_after << " messages");
    pid_t pid = sb.Spawn("--once");
    REQUIRE(WaitFor([&] { return sb.Messages() >= kill_after; }, 60s));
    int st = 0;
    REQUIRE(waitpid(pid, &st, WNOHANG) == 0);  // still running
    kill(pid, SIGKILL);
    REQUIRE(waitpid(pid, &st, 0) == pid);
    CHECK(WIFSIGNALED(st));
    CHECK(WTERMSIG(st) == SIGKILL);
    const std::uint64_t at_kill = sb.Messages();
    CHECK(at_kill >= kill_after);
    CHECK(at_kill < static_cast<std::uint64_t>(n));
  }
  auto r = sb.Run("run --once");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(sb.Tickets() == n);
  CHECK(sb.Messages() == n);
  CHECK(sb.TicketSubjects().size() == n);
}

TEST_CASE("a recreated mailbox (new UIDVALIDITY) makes no duplicate tickets", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("run-uidvalidity");
  {
    imap::Session s = imap_test::ConnectAs(d, user);
    REQUIRE(s.CreateFolder("Support").ok());
  }
  AppendMessages(d, user, 0, 10, 500, "Support");
  sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600), false, "Support"}});
  REQUIRE(sb.Run("run --once").code == 0);
  REQUIRE(sb.Tickets() == 10);

  std::string doveadm = "doveadm -c " + d.conf() + " mailbox ";
  REQUIRE(std::system((doveadm + "delete -u " + user + " Support").c_str()) == 0);
  std::this_thread::sleep_for(1100ms);  // UIDVALIDITY is a timestamp: make it differ
  REQUIRE(std::system((doveadm + "create -u " + user + " Support").c_str()) == 0);
  AppendMessages(d, user, 0, 10, 500, "Support");  // the same messages again
  AppendMessages(d, user, 10, 2, 500, "Support");  // and two new ones

  auto r = sb.Run("run --once");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.err, Catch::Contains("UIDVALIDITY changed"));
  CHECK(sb.Tickets() == 12);
  CHECK(sb.Messages() == 12);
}

TEST_CASE("a 25 MB message and one with 500 attachments go through", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("run-big");
  AppendMessages(d, user, 0, 1, 25u << 20);
  std::string many =
      "From: Many <many@customer.example>\r\nTo: support@acme.example\r\nSubject: 500 files\r\n"
      "Message-ID: <many@customer.example>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
      "See attached.\r\n";
  for (int i = 0; i < 500; ++i) {
    many += "--b\r\nContent-Type: text/plain; name=\"f" + std::to_string(i) +
            ".txt\"\r\nContent-Disposition: attachment; filename=\"f" + std::to_string(i) +
            ".txt\"\r\n\r\nfile " + std::to_string(i) + "\r\n";
  }
  many += "--b--\r\n";
  {
    imap::Session s = imap_test::ConnectAs(d, user);
    REQUIRE(s.Append("INBOX", many).ok());
  }
  sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600)}});
  auto r = sb.Run("run --once");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(sb.Tickets() == 2);
  auto st = store::Store::Open(sb.dir() + "/data", [] {
    store::Options o;
    o.read_only = true;
    return o;
  }());
  REQUIRE(st.ok());
  REQUIRE((*st)
              ->Read([&](store::ReadTxn& t) {
                bool seen_many = false, seen_big = false;
                t.ForEachMessage([&](const store::MessageRecord& m) {
                  if (m.subject == "500 files") {
                    seen_many = true;
                    CHECK(m.attachments.size() == 500);
                  } else {
                    seen_big = true;
                    CHECK(m.raw_size > (25u << 20));
                    auto raw = t.GetRaw(m.raw_sha256);
                    REQUIRE(raw);
                    CHECK(raw->size() == m.raw_size);
                  }
                  return true;
                });
                CHECK(seen_many);
                CHECK(seen_big);
                return util::Status{};
              })
              .ok());
}

TEST_CASE("while run idles, a new message becomes a ticket within 2 seconds", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("run-idle");
  AppendMessages(d, user, 0, 1);
  sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600)}});
  pid_t pid = sb.Spawn("");
  REQUIRE(WaitFor([&] { return sb.Tickets() == 1; }, 15s));
  std::this_thread::sleep_for(500ms);  // into IDLE
  AppendMessages(d, user, 1, 1);
  auto t0 = std::chrono::steady_clock::now();
  bool arrived = WaitFor([&] { return sb.Tickets() == 2; }, 5s);
  auto took = std::chrono::steady_clock::now() - t0;
  kill(pid, SIGTERM);
  int st = 0;
  waitpid(pid, &st, 0);
  INFO(sb.SpawnLog());
  REQUIRE(arrived);
  // The promise is 2 s; on a loaded 2-core CI host scheduling alone can
  // take a second, so the unit test allows 5 s (the harness measures it).
  CHECK(took < 5s);
  CHECK(WIFEXITED(st));
}

TEST_CASE("Dovecot restarted in the middle of a sync: the run reconnects and finishes",
          "[dovecot]") {
  DOVECOT_OR_SKIP(main_server);
  (void)main_server;  // only its presence matters: this test runs its own server
  // A private server: restarting the shared one would break tests running beside this one.
  const std::string dir = "/tmp/dm-restart-" + std::to_string(getpid());
  const int base = 12000 + getpid() % 500;
  std::string start = std::string(DESKMAIL_SOURCE_DIR) + "/tests/dovecot/start.sh " + dir + " " +
                      std::to_string(base) + " >/dev/null";
  std::string stop =
      std::string(DESKMAIL_SOURCE_DIR) + "/tests/dovecot/stop.sh " + dir + " >/dev/null";
  struct StopAtEnd {
    std::string stop, dir;
    ~StopAtEnd() {
      std::system(("bash " + stop).c_str());
      fs::remove_all(dir);
    }
  } stop_at_end{stop, dir};
  REQUIRE(std::system(("bash " + start).c_str()) == 0);
  imap_test::Dovecot d{dir, base};
  {
    RunSandbox sb(d);
    std::string user = imap_test::UniqueUser("run-restart");
    const std::uint64_t n = 3000;
    PopulateMaildir(d, user, n, 2000);
    sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600), false, "INBOX",
                     "fetch_batch_max_count = 1\n"}});
    pid_t pid = sb.Spawn("--once");
    WaitFor([&] { return sb.Messages() >= 20; }, 20s);
    // A crash of the whole server: the serving imap processes first (that
    // drops our connection at once), then the master; then a fresh start.
    std::string kill_clients = "pkill -9 -f 'dovecot-test-" + std::to_string(base) + "/imap'";
    std::system(kill_clients.c_str());
    // The restart must really land in the middle of the sync.
    REQUIRE(sb.Messages() < n);
    REQUIRE(std::system(("bash " + stop).c_str()) == 0);
    std::this_thread::sleep_for(500ms);
    REQUIRE(std::system(("bash " + start).c_str()) == 0);
    int st = 0;
    waitpid(pid, &st, 0);
    INFO(sb.SpawnLog());
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    CHECK_THAT(sb.SpawnLog(), Catch::Contains("reconnecting"));
    CHECK(sb.Tickets() == n);
    CHECK(sb.Messages() == n);
  }
}

TEST_CASE("post_action move:FOLDER files fetched mail away only after the commit", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("run-move");
  CreateFolder(d, user, "Done");
  AppendMessages(d, user, 0, 4);
  sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600), false, "INBOX",
                   "post_action = \"move:Done\"\n"}});
  auto r = sb.Run("run --once");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(sb.Tickets() == 4);
  ExpectAllMovedToDone(d, user, 4);
  REQUIRE(sb.Run("run --once").code == 0);
  CHECK(sb.Tickets() == 4);
}

TEST_CASE("an account with role = intake files forwards through the intake rules", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("run-intake");
  {
    imap::Session s = imap_test::ConnectAs(d, user);
    std::ifstream in(std::string(DESKMAIL_SOURCE_DIR) + "/fixtures/intake/gmail_en.eml",
                     std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // As the intake's receiving MTA stamps it (issue 15: From: alone is not enough).
    raw = "Authentication-Results: mx.acme.example; dmarc=pass header.from=acme.example\r\n" + raw;
    REQUIRE(s.Append("INBOX", raw).ok());
  }
  sb.WriteConfig(
      {{"intake", user, sb.TokenFile(user, 3600), false, "INBOX", "role = \"intake\"\n"}}, 0,
      "[intake]\nallowed_forwarders = [\"@acme.example\"]\n"
      "trusted_authserv_ids = [\"mx.acme.example\"]\n");
  auto r = sb.Run("run --once", "DESKMAIL_NOW=2026-11-06T12:00:00Z");
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto log = sb.Run("intake --log --json");
  REQUIRE(log.code == 0);
  auto j = nlohmann::json::parse(log.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["decision"] == "accepted");
  CHECK(j[0]["forwarder"] == "agent.smith@acme.example");
  CHECK(sb.Tickets() == 1);
}

TEST_CASE("an intake on a non-Exchange server believes no forged Exchange or AR header",
          "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("run-intake-forged");
  {
    imap::Session s = imap_test::ConnectAs(d, user);
    std::ifstream in(std::string(DESKMAIL_SOURCE_DIR) + "/fixtures/intake/gmail_en.eml",
                     std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    raw =
        "X-MS-Exchange-Organization-AuthAs: Internal\r\n"
        "X-MS-Exchange-Organization-AuthSource: forged.example\r\n"
        "X-MS-Exchange-Organization-MessageDirectionality: Originating\r\n"
        "Authentication-Results: mx.evil.example; dmarc=pass header.from=acme.example\r\n" +
        raw;
    REQUIRE(s.Append("INBOX", raw).ok());
  }
  sb.WriteConfig({{"intake", user, sb.TokenFile(user, 3600), false, "INBOX",
                   "role = \"intake\"\nprovider = \"microsoft\"\n"}},
                 0,
                 "[intake]\nallowed_forwarders = [\"@acme.example\"]\n"
                 "trusted_authserv_ids = [\"mx.acme.example\"]\n");
  auto r = sb.Run("run --once", "DESKMAIL_NOW=2026-11-06T12:00:00Z");
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto j = nlohmann::json::parse(sb.Run("intake --log --json").out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["decision"] == "unauthenticated");
  CHECK(sb.Tickets() == 1);  // the forward itself, from the agent
}

TEST_CASE("mail stored but not moved (a run stopped between commit and MOVE) is moved later",
          "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("run-move-catchup");
  CreateFolder(d, user, "Done");
  AppendMessages(d, user, 0, 3);
  // First without the post-action: the state a crash right after the
  // commit leaves (stored, checkpoint past them, still in the INBOX).
  sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600), false, "INBOX", ""}});
  REQUIRE(sb.Run("run --once").code == 0);
  REQUIRE(sb.Tickets() == 3);
  AppendMessages(d, user, 3, 2);
  sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600), false, "INBOX",
                   "post_action = \"move:Done\"\n"}});
  auto r = sb.Run("run --once");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(sb.Tickets() == 5);
  ExpectAllMovedToDone(d, user, 5);
}
