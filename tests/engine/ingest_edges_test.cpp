// The edges of the one ingest path, as an operator meets them: mail
// without Message-ID or Date across a UIDVALIDITY change, a folder the
// server keeps renumbering, and a crash at each stage boundary of the
// pipeline (DESKMAIL_TEST_CRASH_AT, engine/pipeline.h). Real Dovecot, real
// LMDB, the real binary.
#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "tests/engine/run_sandbox.h"
#include "tests/imap/dovecot_fixture.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace run_test;

namespace {

// A scanner's mail: no Message-ID, no Date.
std::string Scan(int i) {
  return "From: scanner@customer.example\r\nTo: support@example.com\r\nSubject: Scanned "
         "document\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
         "--b\r\nContent-Type: text/plain\r\n\r\nScan attached.\r\n"
         "--b\r\nContent-Type: application/pdf; name=\"scan.pdf\"\r\n"
         "Content-Disposition: attachment; filename=\"scan.pdf\"\r\n"
         "Content-Transfer-Encoding: 7bit\r\n\r\n%PDF-1.4 page " +
         std::to_string(i) + "\r\n--b--\r\n";
}

void Recreate(const imap_test::Dovecot& d, const std::string& user, const std::string& folder) {
  const std::string doveadm = "doveadm -c " + d.conf() + " mailbox ";
  REQUIRE(std::system((doveadm + "delete -u " + user + " " + folder).c_str()) == 0);
  std::this_thread::sleep_for(1100ms);  // UIDVALIDITY is a timestamp: make it differ
  REQUIRE(std::system((doveadm + "create -u " + user + " " + folder).c_str()) == 0);
}

// "downloaded N bytes" from the rescan's log line.
long long RescanBytes(const std::string& log) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex("rescan downloaded ([0-9]+) bytes"))) return -1;
  return std::stoll(m[1]);
}

}  // namespace

TEST_CASE("mail without Message-ID and Date survives a UIDVALIDITY change undoubled", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("edges-noid");
  CreateFolder(d, user, "Scans");
  {
    imap::Session s = imap_test::ConnectAs(d, user);
    for (int i = 0; i < 3; ++i) REQUIRE(s.Append("Scans", Scan(i)).ok());
  }
  sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600), false, "Scans"}});
  auto r = sb.Run("run --once");
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE(sb.Tickets() == 3);  // three scans differing only in the attachment

  Recreate(d, user, "Scans");
  {
    imap::Session s = imap_test::ConnectAs(d, user);
    for (int i = 0; i < 3; ++i) REQUIRE(s.Append("Scans", Scan(i)).ok());
    REQUIRE(s.Append("Scans", Scan(3)).ok());  // and one new
  }
  r = sb.Run("run --once");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.err, Catch::Contains("UIDVALIDITY changed"));
  CHECK(sb.Tickets() == 4);
  CHECK(sb.Messages() == 4);
}

TEST_CASE("a folder whose UIDVALIDITY keeps changing is not downloaded again", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  std::string user = imap_test::UniqueUser("edges-churn");
  CreateFolder(d, user, "Support");
  constexpr std::size_t kBody = 40000;
  AppendMessages(d, user, 0, 10, kBody, "Support");
  sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600), false, "Support"}});
  REQUIRE(sb.Run("run --once").code == 0);
  REQUIRE(sb.Tickets() == 10);

  // Pass 2: renumbered, the same ten and two new ones: only the two come down.
  Recreate(d, user, "Support");
  AppendMessages(d, user, 0, 12, kBody, "Support");
  auto r = sb.Run("run --once");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(sb.Tickets() == 12);
  CHECK(sb.Messages() == 12);
  CHECK_THAT(r.err, Catch::Contains("10 message(s) already stored"));
  const long long bytes2 = RescanBytes(r.err);
  CHECK(bytes2 >= static_cast<long long>(2 * kBody));
  CHECK(bytes2 < static_cast<long long>(3 * kBody));
  CHECK_THAT(r.err, !Catch::Contains("passes in a row"));

  // Pass 3: renumbered again, nothing new: no body comes down, and the
  // operator hears once what fixes it on the server.
  Recreate(d, user, "Support");
  AppendMessages(d, user, 0, 12, kBody, "Support");
  r = sb.Run("run --once");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(sb.Messages() == 12);
  CHECK(RescanBytes(r.err) == 0);
  CHECK_THAT(r.err, Catch::Contains("passes in a row") && Catch::Contains("read-write"));
}

TEST_CASE("a crash at each stage boundary loses and doubles nothing", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  for (const char* stage : {"fetched:2", "prepared:2", "commit:2", "committed:2"}) {
    INFO(stage);
    RunSandbox sb(d);
    std::string user = imap_test::UniqueUser("edges-crash");
    CreateFolder(d, user, "Done");
    AppendMessages(d, user, 0, 20, 3000);
    sb.WriteConfig({{"support", user, sb.TokenFile(user, 3600), false, "INBOX",
                     "post_action = \"move:Done\"\nfetch_batch_max_count = 5\n"}});
    auto crashed = sb.Run("run --once", std::string("DESKMAIL_TEST_CRASH_AT=") + stage);
    CHECK(crashed.code == 86);  // the hook fired
    const std::uint64_t committed = sb.Messages();
    // Batches of 5 commit whole: the second only once its commit returned;
    // after a crash at "fetched:2" the first may or may not have committed.
    if (std::string(stage) == "committed:2") {
      CHECK(committed == 10);
    } else if (std::string(stage) == "fetched:2") {
      CHECK((committed == 0 || committed == 5));
    } else {
      CHECK(committed == 5);
    }
    auto r = sb.Run("run --once");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(sb.Tickets() == 20);
    CHECK(sb.Messages() == 20);
    CHECK(sb.TicketSubjects().size() == 20);
    ExpectAllMovedToDone(d, user, 20);
  }
}

TEST_CASE("replay: a crash at each stage boundary loses and doubles nothing") {
  const fs::path dir = fs::temp_directory_path() / ("deskmail-edges-" + std::to_string(getpid()));
  fs::create_directories(dir / "eml");
  // 600 inputs: three batches of the replay's 256.
  constexpr int kInputs = 600;
  for (int i = 0; i < kInputs; ++i) {
    std::ofstream(dir / "eml" / (std::to_string(1000 + i) + ".eml"))
        << (i % 3 == 0 ? Scan(i) : Request(i, 1500));
  }
  for (const char* stage : {"fetched:2", "prepared:2", "commit:2", "committed:2"}) {
    INFO(stage);
    const fs::path data = dir / (std::string("data-") + std::string(stage).substr(0, 4));
    const std::string base = std::string(DESKMAIL_BIN) + " --data-dir " + data.string() +
                             " replay --account support --quiet " + (dir / "eml").string() +
                             " >/dev/null 2>&1";
    int st = std::system(("DESKMAIL_TEST_CRASH_AT=" + std::string(stage) + " " + base).c_str());
    CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 86));
    st = std::system(base.c_str());
    REQUIRE((WIFEXITED(st) && WEXITSTATUS(st) == 0));
    auto store = store::Store::Open(data.string(), [] {
      store::Options o;
      o.read_only = true;
      return o;
    }());
    REQUIRE(store.ok());
    REQUIRE((*store)
                ->Read([&](store::ReadTxn& t) {
                  CHECK(t.MessageCount() == kInputs);
                  CHECK(t.TicketCount() == kInputs);
                  return t.error();
                })
                .ok());
  }
  fs::remove_all(dir);
}
