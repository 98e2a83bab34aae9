#include "engine/mailbox.h"

#include <stdlib.h>

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/deskmail-mbox-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string Write(const std::string& rel, const std::string& bytes) {
    fs::path p = fs::path(path) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }
  std::string path;
};

std::vector<engine::MailboxItem> ReadAll(const std::string& path) {
  auto r = engine::OpenMailbox(path);
  REQUIRE(r.ok());
  std::vector<engine::MailboxItem> out;
  engine::MailboxItem item;
  while ((*r)->Next(item)) out.push_back(item);
  return out;
}

}  // namespace

TEST_CASE("mboxrd un-escaping removes exactly one '>'") {
  CHECK(engine::MboxrdUnescape(">From me\n") == "From me\n");
  CHECK(engine::MboxrdUnescape(">>From me\n") == ">From me\n");
  CHECK(engine::MboxrdUnescape("> From me\n") == "> From me\n");
  CHECK(engine::MboxrdUnescape(">Fromage\n") == ">Fromage\n");
  CHECK(engine::MboxrdUnescape("a\n>From x\r\nb") == "a\nFrom x\r\nb");
}

TEST_CASE("an mbox is split on From_ lines and un-escaped") {
  TempDir d;
  std::string mbox =
      "From alice@example.com Mon Nov  2 10:00:00 2026\n"
      "Subject: one\n\nhello\n>From the start\n>>From quoted\n\n"
      "From bob@example.com Mon Nov  2 11:00:00 2026\n"
      "Subject: two\r\n\r\nwindows\r\n\r\n"
      "From carol@example.com Mon Nov  2 12:00:00 2026\n"
      "Subject: three\n\nno newline at the end";
  auto items = ReadAll(d.Write("box.mbox", mbox));
  REQUIRE(items.size() == 3);
  CHECK(items[0].bytes.view() == "Subject: one\n\nhello\nFrom the start\n>From quoted\n");
  CHECK(items[1].bytes.view() == "Subject: two\r\n\r\nwindows\r\n");
  CHECK(items[2].bytes.view() == "Subject: three\n\nno newline at the end");
  CHECK(items[2].name == d.path + "/box.mbox#3");
  auto r = engine::OpenMailbox(d.path + "/box.mbox");
  CHECK((*r)->format() == engine::MailboxFormat::kMbox);
}

TEST_CASE("a Maildir is read from cur and new in name order, dot files skipped") {
  TempDir d;
  d.Write("md/cur/0002.b:2,S", "Subject: b\n\n");
  d.Write("md/new/0003.c", "Subject: c\n\n");
  d.Write("md/cur/0001.a:2,", "Subject: a\n\n");
  d.Write("md/cur/.keep", "");
  fs::create_directories(d.path + "/md/tmp");
  auto items = ReadAll(d.path + "/md");
  REQUIRE(items.size() == 3);
  CHECK(items[0].bytes.view() == "Subject: a\n\n");
  CHECK(items[1].bytes.view() == "Subject: b\n\n");
  CHECK(items[2].bytes.view() == "Subject: c\n\n");
}

TEST_CASE("a directory of .eml files and a single file") {
  TempDir d;
  d.Write("emls/b.eml", "Subject: b\n\n");
  d.Write("emls/a.eml", "Subject: a\n\n");
  auto items = ReadAll(d.path + "/emls");
  REQUIRE(items.size() == 2);
  CHECK(items[0].bytes.view() == "Subject: a\n\n");
  auto one = ReadAll(d.Write("x.eml", "Subject: x\n\nFrom here on\n"));
  REQUIRE(one.size() == 1);
  CHECK(one[0].bytes.view() == "Subject: x\n\nFrom here on\n");
}

TEST_CASE("missing and unreadable inputs are clear errors") {
  auto missing = engine::OpenMailbox("/nonexistent/deskmail/path");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == util::Code::kNotFound);
  CHECK_THAT(missing.status().message(), Catch::Contains("/nonexistent/deskmail/path"));

  TempDir d;
  std::string locked = d.Write("emls/locked.eml", "Subject: x\n\n");
  d.Write("emls/ok.eml", "Subject: ok\n\n");
  fs::permissions(locked, fs::perms::none);
  // Root reads files whatever their mode (and CI runs as root): then the
  // reading is done by a child that drops to nobody first. It reports
  // through its exit status, one bit per expectation.
  auto check_items = [&]() {
    auto items = ReadAll(d.path + "/emls");
    int bits = 0;
    if (items.size() == 2) {
      if (!items[0].error.ok()) bits |= 1;
      if (items[0].error.message().find("locked.eml") != std::string::npos) bits |= 2;
      if (items[1].error.ok()) bits |= 4;
    }
    return bits;
  };
  int bits = 0;
  if (geteuid() != 0) {
    bits = check_items();
  } else {
    fs::permissions(d.path, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(d.path + "/emls",
                    fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(d.path + "/emls/ok.eml", fs::perms::owner_all | fs::perms::others_read);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(64);
      _exit(check_items());
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) != 64);  // could not drop privileges
    bits = WEXITSTATUS(status);
  }
  CHECK((bits & 1) != 0);  // the unreadable file is an error item
  CHECK((bits & 2) != 0);  // that names it
  CHECK((bits & 4) != 0);  // and the readable one still reads
}

TEST_CASE("the bundled mboxrd sample reads as its expected messages") {
  std::ifstream in(std::string(DESKMAIL_SOURCE_DIR) + "/fixtures/expected/sample-mbox.json");
  REQUIRE(in.good());
  auto expected = nlohmann::json::parse(in);
  auto items = ReadAll(std::string(DESKMAIL_SOURCE_DIR) + "/fixtures/mbox/sample.mboxrd");
  REQUIRE(items.size() == expected["count"].get<std::size_t>());
  for (const auto& e : expected["messages"]) {
    std::size_t i = e["index"];
    INFO("message " << i);
    const std::string bytes = items[i].bytes.str();
    CHECK_THAT(bytes, Catch::Contains("<" + e["message_id"].get<std::string>() + ">"));
    // The body: everything after the blank line that ends the header.
    const std::string eol = e["line_endings"] == "CRLF" ? "\r\n" : "\n";
    auto start = bytes.find(eol + eol);
    REQUIRE(start != std::string::npos);
    std::string body = bytes.substr(start + 2 * eol.size());
    std::string want;
    for (const auto& line : e["body_lines"]) want += line.get<std::string>() + eol;
    if (!e.value("ends_with_newline", true) && !want.empty()) want.resize(want.size() - eol.size());
    CHECK(body == want);
  }
}

TEST_CASE("a large message file is mapped, not read into memory, and small ones are read") {
  TempDir d;
  const std::string big = "Subject: scan\n\n" + std::string(3 << 20, 'A') + "\n";
  d.Write("cur/1.host:2,S", "Subject: small\n\nhi\n");
  d.Write("cur/2.host:2,S", big);
  auto items = ReadAll(d.path);
  REQUIRE(items.size() == 2);
  CHECK_FALSE(items[0].bytes.mapped());
  CHECK(items[0].bytes.view() == "Subject: small\n\nhi\n");
  CHECK(items[1].bytes.mapped());
  CHECK(items[1].bytes.view() == big);
}
