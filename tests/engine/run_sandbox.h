// Helpers for tests that run the deskmail binary against the real Dovecot
// from tests/dovecot/start.sh: a sandbox directory with a config and a
// store, message builders, and polling helpers.
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "store/store.h"
#include "tests/imap/dovecot_fixture.h"

namespace run_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Account {
  Account(std::string n, std::string u, std::string file, bool pw = false, std::string f = "INBOX",
          std::string x = "")
      : name(std::move(n)),
        user(std::move(u)),
        token_file(std::move(file)),
        password(pw),
        folder(std::move(f)),
        extra(std::move(x)) {}
  std::string name;
  std::string user;
  std::string token_file;  // or password_file
  bool password;
  std::string folder;
  std::string extra;  // more TOML lines for the account
};

class RunSandbox {
 public:
  explicit RunSandbox(const imap_test::Dovecot& d) : d_(d) {
    char tmpl[] = "/tmp/deskmail-run-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~RunSandbox() { fs::remove_all(dir_); }

  // Writes a token file for `user` valid for `exp_in_s` seconds.
  std::string TokenFile(const std::string& user, long exp_in_s) {
    std::string path = dir_ + "/token-" + user + "-" + std::to_string(n_++);
    std::ofstream(path) << imap_test::MintJwt(d_.hmac_key_b64(), user, exp_in_s) << "\n";
    return path;
  }
  std::string File(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    return path;
  }
  void WriteConfig(const std::vector<Account>& accounts, int port = 0,
                   const std::string& top = "") {
    std::ostringstream c;
    c << "data_dir = \"" << dir_ << "/data\"\n" << top;
    for (const auto& a : accounts) {
      c << "[[account]]\nname = \"" << a.name << "\"\naddress = \"" << a.user << "\"\n"
        << "host = \"127.0.0.1\"\nport = " << (port ? port : d_.imaps_port()) << "\n"
        << "tls = \"implicit\"\nca_file = \"" << d_.cert() << "\"\n"
        << "folders = [\"" << a.folder << "\"]\npoll_interval_s = 30\n";
      if (a.password) {
        c << "auth = \"password\"\npassword_file = \"" << a.token_file << "\"\n";
      } else if (a.token_file.empty()) {
        c << "auth = \"xoauth2\"\n";  // OAuth refresh: the account's extra lines name the IdP
      } else {
        c << "auth = \"xoauth2\"\naccess_token_file = \"" << a.token_file << "\"\n";
      }
      c << a.extra;
    }
    config_ = File("deskmail.toml", c.str());
  }
  struct Result {
    int code;
    std::string out, err;
  };
  Result Run(const std::string& args, const std::string& env = "") {
    std::string cmd = env + " " + std::string(DESKMAIL_BIN) + " --config " + config_ + " " + args +
                      " >" + dir_ + "/out 2>" + dir_ + "/err";
    int st = std::system(cmd.c_str());
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, Slurp(dir_ + "/out"), Slurp(dir_ + "/err")};
  }
  // Starts `deskmail run ARGS` in the background; returns its pid.
  pid_t Spawn(const std::string& args) {
    pid_t pid = fork();
    if (pid == 0) {
      std::string log = dir_ + "/spawn.log";
      freopen(log.c_str(), "a", stderr);
      freopen((dir_ + "/spawn.out").c_str(), "w", stdout);
      execl(DESKMAIL_BIN, DESKMAIL_BIN, "--config", config_.c_str(), "run",
            args.empty() ? nullptr : args.c_str(), nullptr);
      _exit(127);
    }
    return pid;
  }
  std::string SpawnLog() { return Slurp(dir_ + "/spawn.log"); }
  std::string SpawnOut() { return Slurp(dir_ + "/spawn.out"); }  // the --once summary

  // Counts from the store, read-only, as a second process would.
  std::uint64_t Tickets() { return Count(true); }
  std::uint64_t Messages() { return Count(false); }
  std::set<std::string> TicketSubjects() {
    std::set<std::string> out;
    auto st = store::Store::Open(dir_ + "/data", ReadOnly());
    if (!st.ok()) return out;
    (void)(*st)->Read([&](store::ReadTxn& t) {
      t.ForEachTicket([&](const store::TicketRecord& r) {
        out.insert(r.subject);
        return true;
      });
      return util::Status{};
    });
    return out;
  }
  const std::string& dir() const { return dir_; }

 private:
  static store::Options ReadOnly() {
    store::Options o;
    o.read_only = true;
    return o;
  }
  std::uint64_t Count(bool tickets) {
    if (!fs::exists(dir_ + "/data/data.mdb")) return 0;
    auto st = store::Store::Open(dir_ + "/data", ReadOnly());
    if (!st.ok()) return 0;
    std::uint64_t n = 0;
    (void)(*st)->Read([&](store::ReadTxn& t) {
      n = tickets ? t.TicketCount() : t.MessageCount();
      return util::Status{};
    });
    return n;
  }
  static std::string Slurp(const std::string& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  const imap_test::Dovecot& d_;
  std::string dir_;
  std::string config_;
  int n_ = 0;
};

// A customer request with a well-formed Message-ID (the same i gives the same message).
// A customer request with a well-formed Message-ID: the same (prefix, i)
// gives the same message.
inline std::string Request(int i, std::size_t body_bytes,
                           const std::string& date = "Mon, 02 Nov 2026 10:00:00 +0000",
                           const std::string& prefix = "request") {
  std::string n = std::to_string(i);
  std::string m = "From: Customer " + n + " <customer" + n + "@example.com>\r\n" +
                  "To: support@example.com\r\nSubject: " + prefix + " " + n + "\r\n" +
                  "Message-ID: <" + prefix + "-" + n + "@test.example>\r\n" + "Date: " + date +
                  "\r\n\r\n";
  std::string line = prefix + " " + n + ": lorem ipsum dolor sit amet consectetur\r\n";
  while (m.size() < body_bytes) m += line;
  return m;
}

inline void AppendMessages(const imap_test::Dovecot& d, const std::string& user, int from,
                           int count, std::size_t body_bytes = 2000,
                           const std::string& folder = "INBOX",
                           const std::string& date = "Mon, 02 Nov 2026 10:00:00 +0000",
                           const std::string& prefix = "request",
                           std::optional<std::int64_t> arrived = std::nullopt) {
  imap::Session s = imap_test::ConnectAs(d, user);
  for (int i = from; i < from + count; ++i) {
    auto r = s.Append(folder, Request(i, body_bytes, date, prefix), {}, arrived);
    REQUIRE(r.ok());
  }
}

inline void CreateFolder(const imap_test::Dovecot& d, const std::string& user,
                         const std::string& folder) {
  imap::Session s = imap_test::ConnectAs(d, user);
  REQUIRE(s.CreateFolder(folder).ok());
}

// After post_action = "move:Done": the INBOX is empty and Done holds `n`.
inline void ExpectAllMovedToDone(const imap_test::Dovecot& d, const std::string& user,
                                 std::uint32_t n) {
  imap::Session s = imap_test::ConnectAs(d, user);
  auto inbox = s.Examine("INBOX");
  REQUIRE(inbox.ok());
  CHECK(inbox->exists == 0);
  auto done = s.Examine("Done");
  REQUIRE(done.ok());
  CHECK(done->exists == n);
}

// Writes messages straight into the user's Maildir (Dovecot indexes them on
// the next SELECT): thousands in well under a second, unlike APPEND.
inline void PopulateMaildir(const imap_test::Dovecot& d, const std::string& user, int count,
                            std::size_t body_bytes) {
  std::string md = d.dir + "/mail/" + user + "/Maildir";
  for (const char* sub : {"/cur", "/new", "/tmp"}) fs::create_directories(md + sub);
  for (int i = 0; i < count; ++i) {
    std::string m = Request(i, body_bytes);
    std::string lf;  // Dovecot stores LF line ends
    for (char c : m) {
      if (c != '\r') lf += c;
    }
    std::string name = md + "/cur/1700000000.M" + std::to_string(i) +
                       "P1.test,S=" + std::to_string(lf.size()) + ":2,";
    std::ofstream(name, std::ios::binary) << lf;
  }
  std::string chown = "chown -R vmail:vmail " + d.dir + "/mail/" + user;
  REQUIRE(std::system(chown.c_str()) == 0);
}

inline bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

}  // namespace run_test
