// The deskmail binary as an operator meets it: exit codes and one clear
// stderr line per bad input, on a real store in a temp directory.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct Run {
  int code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct Sandbox {
  Sandbox() {
    char tmpl[] = "/tmp/deskmail-cli-XXXXXX";
    dir = mkdtemp(tmpl);
    fs::permissions(dir, fs::perms::all);  // the unprivileged run writes here too
  }
  ~Sandbox() { fs::remove_all(dir); }
  std::string Write(const std::string& rel, const std::string& bytes) {
    fs::path p = fs::path(dir) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }
  // Runs deskmail with `args` (already quoted), data dir in the sandbox.
  Run Deskmail(const std::string& args, const std::string& prefix = "") {
    std::string out = dir + "/stdout", err = dir + "/stderr";
    std::string cmd = prefix + Quote(DESKMAIL_BIN) + " --data-dir " + Quote(dir + "/data") + " " +
                      args + " >" + Quote(out) + " 2>" + Quote(err);
    int status = std::system(cmd.c_str());
    Run r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(out);
    r.err = Slurp(err);
    return r;
  }
  std::string dir;
};

const char* kGood =
    "From: Jane <jane@customer.example>\nTo: support@acme.example\nSubject: Printer jams\n"
    "Date: Mon, 02 Nov 2026 10:00:00 +0000\nMessage-ID: <good1@customer.example>\n\nIt jams.\n";
const char* kGood2 =
    "From: Bob <bob@customer.example>\nTo: support@acme.example\nSubject: Refund\n"
    "Date: Mon, 02 Nov 2026 11:00:00 +0000\nMessage-ID: <good2@customer.example>\n\nPlease.\n";

int CountLines(const std::string& s, const std::string& needle) {
  int n = 0;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("replay of a missing path is a usage error naming the path") {
  Sandbox sb;
  Run r = sb.Deskmail("replay /no/such/mailbox --account support");
  CHECK(r.code == 2);
  CHECK(CountLines(r.err, "/no/such/mailbox") == 1);
}

TEST_CASE("bad inputs each get one stderr line, and the good ones still go in") {
  Sandbox sb;
  sb.Write("in/01-good.eml", kGood);
  sb.Write("in/02-empty.eml", "");
  sb.Write("in/03-garbage.eml", std::string("\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\xff\xfe", 11));
  sb.Write(
      "in/04-truncated.eml",
      "From: t@customer.example\nSubject: cut\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
      "--b\nContent-Type: text/plain\n\nvisible part\n--b\nContent-Type: application/pdf\n"
      "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK");
  sb.Write("in/05-good.eml", kGood2);
  Run r = sb.Deskmail("replay " + Quote(sb.dir + "/in") + " --account support");
  INFO(r.err);
  CHECK(r.code == 1);
  CHECK(CountLines(r.err, "02-empty.eml") == 1);
  CHECK(CountLines(r.err, "03-garbage.eml") == 1);
  CHECK(CountLines(r.err, "04-truncated.eml") == 1);
  CHECK(CountLines(r.err, "01-good.eml") == 0);

  Run list = sb.Deskmail("tickets list --json");
  REQUIRE(list.code == 0);
  auto tickets = nlohmann::json::parse(list.out);
  // Two good messages and the truncated one (readable text, a sender) are tickets.
  CHECK(tickets.size() == 3);

  Run unp = sb.Deskmail("tickets --unprocessable --json");
  REQUIRE(unp.code == 0);
  CHECK(nlohmann::json::parse(unp.out).size() == 1);
}

TEST_CASE("replaying the same mailbox twice changes nothing") {
  Sandbox sb;
  sb.Write("in/a.eml", kGood);
  sb.Write("in/b.eml", kGood2);
  REQUIRE(sb.Deskmail("replay " + Quote(sb.dir + "/in") + " --account support").code == 0);
  Run first = sb.Deskmail("tickets summary --json");
  REQUIRE(sb.Deskmail("replay " + Quote(sb.dir + "/in") + " --account support").code == 0);
  Run second = sb.Deskmail("tickets summary --json");
  CHECK(first.out == second.out);
  CHECK(nlohmann::json::parse(second.out)["messages"] == 2);
}

TEST_CASE("an unreadable file is reported and the rest go in") {
  Sandbox sb;
  sb.Write("in/a.eml", kGood);
  std::string locked = sb.Write("in/b-locked.eml", kGood2);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(sb.dir + "/in", fs::perms::all);
  fs::permissions(sb.dir + "/in/a.eml", fs::perms::all);
  // Root reads anything: run the binary as nobody, where setpriv exists.
  std::string prefix;
  if (geteuid() == 0) {
    if (std::system("command -v setpriv >/dev/null") != 0) {
      WARN("root without setpriv: cannot make a file unreadable, skipped");
      return;
    }
    prefix = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  }
  Run r = sb.Deskmail("replay " + Quote(sb.dir + "/in") + " --account support", prefix);
  INFO(r.err);
  CHECK(r.code == 1);
  CHECK(CountLines(r.err, "b-locked.eml") == 1);
  CHECK_THAT(r.err, Catch::Contains("Permission denied"));
  Run s = sb.Deskmail("tickets summary --json", prefix);
  REQUIRE(s.code == 0);
  CHECK(nlohmann::json::parse(s.out)["tickets"] == 1);
}

TEST_CASE("inspect --json prints the documented shape") {
  Sandbox sb;
  std::string f = sb.Write("m.eml", kGood);
  Run r = sb.Deskmail("inspect " + Quote(f) + " --json");
  REQUIRE(r.code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["from"]["address"] == "jane@customer.example");
  CHECK(j["subject"] == "Printer jams");
  CHECK(j["date"] == "2026-11-02T10:00:00Z");
  CHECK(j["message_id"] == "good1@customer.example");
  CHECK(j.contains("forwarded"));
  CHECK(j["forwarded"].is_null());

  Run missing = sb.Deskmail("inspect /no/such.eml --json");
  CHECK(missing.code == 2);
  CHECK(CountLines(missing.err, "/no/such.eml") == 1);
}

TEST_CASE("usage and config errors exit 2") {
  Sandbox sb;
  CHECK(sb.Deskmail("frobnicate").code == 2);
  CHECK(sb.Deskmail("replay").code == 2);
  std::string bad = sb.Write("bad.toml", "[[account]]\nname = \"a\"\ntls = \"ssl\"\n");
  Run r = sb.Deskmail("--config " + Quote(bad) + " tickets list");
  CHECK(r.code == 2);
  CHECK(CountLines(r.err, "bad.toml") == 1);
  CHECK(sb.Deskmail("tickets show").code == 2);
}

TEST_CASE("reading an empty data dir is a clear failure, not a crash") {
  Sandbox sb;
  Run r = sb.Deskmail("tickets list");
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("no deskmail store"));
}

TEST_CASE("export --jsonl streams events after a sequence number") {
  Sandbox sb;
  sb.Write("in/a.eml", kGood);
  sb.Write("in/b.eml", kGood2);
  REQUIRE(sb.Deskmail("replay " + Quote(sb.dir + "/in") + " --account support").code == 0);
  Run all = sb.Deskmail("export --jsonl");
  REQUIRE(all.code == 0);
  std::istringstream lines(all.out);
  std::vector<nlohmann::json> events;
  for (std::string l; std::getline(lines, l);) events.push_back(nlohmann::json::parse(l));
  REQUIRE(events.size() == 2);
  CHECK(events[0]["type"] == "ticket.created");
  CHECK(events[0]["data"]["ticket"] == 1);
  Run after = sb.Deskmail("export --jsonl --since " + std::to_string(events[0]["seq"].get<int>()));
  CHECK(CountLines(after.out, "ticket.created") == 1);
}

TEST_CASE("intake reads a forward on stdin like an MTA pipe, and --log shows the decision") {
  Sandbox sb;
  std::string cfg = sb.Write("deskmail.toml",
                             "[intake]\nallowed_forwarders = [\"@acme.example\"]\n"
                             "require = \"envelope\"\n"
                             "[[account]]\nname = \"support\"\naddress = \"support@acme.example\"\n"
                             "auth = \"password\"\npassword_env = \"UNUSED\"\n");
  const std::string fixture = std::string(DESKMAIL_SOURCE_DIR) + "/fixtures/intake/gmail_en.eml";
  REQUIRE(fs::exists(fixture));
  // Received two days after it was forwarded; Postfix passes ${sender}.
  Run r = sb.Deskmail(
      "--config " + Quote(cfg) + " intake --sender agent.smith@acme.example <" + Quote(fixture),
      "DESKMAIL_NOW=2026-11-06T12:00:00Z ");
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("stdin: accepted -> ticket #1"));
  Run log = sb.Deskmail("--config " + Quote(cfg) + " intake --log --json");
  REQUIRE(log.code == 0);
  auto j = nlohmann::json::parse(log.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["decision"] == "accepted");
  CHECK(j[0]["input"] == "stdin");
  // The same message again: nothing changes.
  r = sb.Deskmail("--config " + Quote(cfg) + " intake " + Quote(fixture),
                  "DESKMAIL_NOW=2026-11-06T12:00:00Z ");
  CHECK_THAT(r.out, Catch::Contains("gmail_en.eml: duplicate"));
  Run list = sb.Deskmail("tickets list --json");
  CHECK(nlohmann::json::parse(list.out).size() == 1);
  CHECK(nlohmann::json::parse(sb.Deskmail("--config " + Quote(cfg) + " intake --log --json").out)
            .size() == 1);
}

TEST_CASE("tickets show gives each message's text: read back from the raw mail, or kept") {
  Sandbox sb;
  sb.Write("in/a.eml", kGood);
  REQUIRE(sb.Deskmail("replay " + Quote(sb.dir + "/in") + " --account support").code == 0);
  // Ordinary mail: the store keeps no copy of the text, show reads the raw mail.
  Run show = sb.Deskmail("tickets show 1");
  REQUIRE(show.code == 0);
  CHECK_THAT(show.out, Catch::Contains("\nIt jams.\n"));
  auto j = nlohmann::json::parse(sb.Deskmail("tickets show 1 --json").out);
  CHECK(j["messages"][0]["body_text"] == "It jams.\n");

  // A recovered forward: the text is the original's, unwrapped, and kept.
  // (Who vouches for the forwarder is not this test's subject.)
  std::string cfg = sb.Write("deskmail.toml",
                             "[intake]\nallowed_forwarders = [\"@acme.example\"]\n"
                             "require = \"none\"\n"
                             "[[account]]\nname = \"support\"\naddress = \"support@acme.example\"\n"
                             "auth = \"password\"\npassword_env = \"UNUSED\"\n");
  const std::string fixture = std::string(DESKMAIL_SOURCE_DIR) + "/fixtures/intake/gmail_en.eml";
  Run r = sb.Deskmail("--config " + Quote(cfg) + " intake " + Quote(fixture),
                      "DESKMAIL_NOW=2026-11-06T12:00:00Z ");
  REQUIRE(r.code == 0);
  j = nlohmann::json::parse(sb.Deskmail("tickets show 2 --json").out);
  const std::string text = j["messages"][0]["body_text"];
  CHECK_THAT(text, Catch::Contains("my order 4711 arrived damaged"));
  CHECK_THAT(text, !Catch::Contains("Forwarded message"));
  CHECK_THAT(text, !Catch::Contains("Please file it"));
}

// Ingest does not decode attachments (mime::ParseOptions::hash_attachments);
// tickets show hashes them from the raw mail when it shows the message.
TEST_CASE("tickets show --json gives each attachment's SHA-256 and size, worked out on show") {
  Sandbox sb;
  sb.Write("in/scan.eml",
           "From: scanner@c.example\nTo: support@acme.example\nSubject: Scan\n"
           "Date: Mon, 02 Nov 2026 10:00:00 +0000\nMessage-ID: <scan@c.example>\n"
           "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
           "--b\nContent-Type: text/plain\n\nSee attached.\n"
           "--b\nContent-Type: application/pdf; name=\"scan.pdf\"\n"
           "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\ncGFnZSAx\n--b--\n");
  REQUIRE(sb.Deskmail("replay " + Quote(sb.dir + "/in") + " --account support").code == 0);
  auto j = nlohmann::json::parse(sb.Deskmail("tickets show 1 --json").out);
  const auto& a = j["messages"][0]["attachments"];
  REQUIRE(a.size() == 1);
  CHECK(a[0]["filename"] == "scan.pdf");
  CHECK(a[0]["size"] == 15);
  // sha256 of "%PDF-1.4\npage 1"
  CHECK(a[0]["sha256"] == "35fd2784b3ffdee7dee119c26b2fdcb7ced63f2853d5227ddd2a0e7ffc049010");
}

// Mail with a Message-ID gets its content digest in the writer, only when
// the Message-ID repeats: here inside one batch, so the first copy is in
// the same write transaction as the ones compared with it.
TEST_CASE(
    "in one replay batch, a relayed copy is a duplicate and another scan under its Message-ID is "
    "kept") {
  Sandbox sb;
  auto scan = [](const std::string& relay, const std::string& pdf) {
    return "Received: by " + relay +
           "\nFrom: scanner@c.example\nTo: support@acme.example\nSubject: Scan\n"
           "Date: Mon, 02 Nov 2026 10:00:00 +0000\nMessage-ID: <scan@c.example>\n"
           "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
           "--b\nContent-Type: text/plain\n\nSee attached.\n"
           "--b\nContent-Type: application/pdf; name=\"scan.pdf\"\n"
           "Content-Transfer-Encoding: base64\n\n" +
           pdf + "\n--b--\n";
  };
  sb.Write("in/1.eml", scan("mx1", "JVBERi0xLjQKcGFnZSAx"));  // "%PDF-1.4\npage 1"
  sb.Write("in/2.eml", scan("mx2", "JVBERi0xLjQKcGFnZSAx"));  // the same mail, other relay
  sb.Write("in/3.eml", scan("mx1", "JVBERi0xLjQKcGFnZSAy"));  // "%PDF-1.4\npage 2"
  Run r = sb.Deskmail("replay " + Quote(sb.dir + "/in") + " --account support");
  REQUIRE(r.code == 0);
  auto summary = nlohmann::json::parse(sb.Deskmail("tickets summary --json").out);
  CHECK(summary["messages"] == 2);
  CHECK(summary["tickets"] == 1);
  auto j = nlohmann::json::parse(sb.Deskmail("tickets show 1 --json").out);
  REQUIRE(j["messages"].size() == 2);
  std::set<std::string> hashes;
  for (const auto& m : j["messages"])
    hashes.insert(m["attachments"][0]["sha256"].get<std::string>());
  CHECK(hashes.size() == 2);  // both files are there
  CHECK_THAT(sb.Deskmail("export --jsonl").out, Catch::Contains("message.duplicate"));
}

// Issue 15: the intake's pipe, and what reaches the operator's terminal.
TEST_CASE("intake on stdin without a vouching sender files the forward as ordinary mail") {
  Sandbox sb;
  std::string cfg = sb.Write("deskmail.toml",
                             "[intake]\nallowed_forwarders = [\"@acme.example\"]\n"
                             "trusted_authserv_ids = [\"mx.acme.example\"]\n"
                             "[[account]]\nname = \"support\"\naddress = \"support@acme.example\"\n"
                             "auth = \"password\"\npassword_env = \"UNUSED\"\n");
  const std::string fixture = std::string(DESKMAIL_SOURCE_DIR) + "/fixtures/intake/gmail_en.eml";
  Run r = sb.Deskmail("--config " + Quote(cfg) + " intake <" + Quote(fixture),
                      "DESKMAIL_NOW=2026-11-06T12:00:00Z ");
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("stdin: unauthenticated -> ticket #1"));
  CHECK_THAT(r.out, Catch::Contains("unauthenticated forward from agent.smith@acme.example"));
  auto t = nlohmann::json::parse(sb.Deskmail("tickets show 1 --json").out);
  CHECK(t["requester"]["address"] == "agent.smith@acme.example");
  // --sender only describes stdin.
  CHECK(sb.Deskmail("--config " + Quote(cfg) + " intake --sender a@acme.example " + Quote(fixture))
            .code == 2);
  // A message above the cap is refused, with the reason, and nothing is stored.
  std::string cap = sb.Write("cap.toml", "[intake]\nmax_message_mib = 1\n");
  sb.Write("big.eml", "From: a@acme.example\nSubject: big\n\n" + std::string(2 << 20, 'x'));
  Run big = sb.Deskmail("--config " + Quote(cap) + " intake <" + Quote(sb.dir + "/big.eml"));
  CHECK(big.code == 1);
  CHECK_THAT(big.err, Catch::Contains("larger than intake.max_message_mib (1 MiB)"));
}

TEST_CASE("a subject with an escape sequence prints made visible in tickets show and list") {
  Sandbox sb;
  sb.Write("in/evil.eml",
           "From: \"Eve\x1b[31m\" <eve@customer.example>\nTo: support@acme.example\n"
           "Subject: Invoice\x1b]0;owned\x07 =?utf-8?q?=1B[2J=0AFrom:_ceo@acme.example?=\n"
           "Date: Mon, 02 Nov 2026 10:00:00 +0000\nMessage-ID: <evil@customer.example>\n\n"
           "Body\x1b[5m blink\n");
  REQUIRE(sb.Deskmail("replay " + Quote(sb.dir + "/in") + " --account support").code == 0);
  Run show = sb.Deskmail("tickets show 1");
  REQUIRE(show.code == 0);
  CHECK(show.out.find('\x1b') == std::string::npos);
  CHECK(show.out.find('\x07') == std::string::npos);
  CHECK_THAT(show.out, Catch::Contains("\\x1b]0;owned\\x07"));
  // An encoded newline cannot forge a line of output.
  CHECK_THAT(show.out, !Catch::Contains("\nFrom: ceo@acme.example"));
  CHECK_THAT(show.out, Catch::Contains("Eve\\x1b[31m"));
  CHECK_THAT(show.out, Catch::Contains("Body\\x1b[5m blink"));
  Run list = sb.Deskmail("tickets list");
  REQUIRE(list.code == 0);
  CHECK(list.out.find('\x1b') == std::string::npos);
  // --json stays exact: the escape is JSON-escaped, not rewritten.
  auto j = nlohmann::json::parse(sb.Deskmail("tickets show 1 --json").out);
  CHECK(j["subject"].get<std::string>().find("\x1b]0;owned\x07") != std::string::npos);
}

TEST_CASE("tickets --ignored lists auto-replies and bulk mail, and nothing else") {
  Sandbox sb;
  sb.Write("in/01-good.eml", kGood);
  sb.Write("in/02-ooo.eml",
           "From: away@customer.example\nTo: support@example.com\nSubject: Out of office\n"
           "Message-ID: <ooo@customer.example>\nAuto-Submitted: auto-replied\n\n"
           "I am away until Monday.\n");
  sb.Write("in/03-bulk.eml",
           "From: news@list.example\nTo: support@example.com\nSubject: Weekly digest\n"
           "Message-ID: <digest@list.example>\nPrecedence: bulk\n"
           "List-Unsubscribe: <mailto:leave@list.example>\n\nThis week...\n");
  REQUIRE(sb.Deskmail("replay " + Quote(sb.dir + "/in") + " --account support").code == 0);
  Run r = sb.Deskmail("tickets --ignored --json");
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto ignored = nlohmann::json::parse(r.out);
  REQUIRE(ignored.size() == 2);
  std::set<std::string> subjects;
  for (const auto& m : ignored) {
    subjects.insert(m["subject"].get<std::string>());
    CHECK_FALSE(m["reason"].get<std::string>().empty());  // says why it was ignored
  }
  CHECK(subjects == std::set<std::string>{"Out of office", "Weekly digest"});
  // The same in text, and an account filter that matches nothing.
  Run text = sb.Deskmail("tickets --ignored");
  CHECK_THAT(text.out, Catch::Contains("Out of office"));
  CHECK_THAT(sb.Deskmail("tickets --ignored --account other").out,
             Catch::Contains("no ignored messages"));
}

TEST_CASE("verify: a replayed store is consistent, exit 0, and --json has the counts") {
  Sandbox sb;
  sb.Write("in/a.eml", kGood);
  sb.Write("in/b.eml", kGood2);
  REQUIRE(sb.Deskmail("replay " + Quote(sb.dir + "/in") + " --account support").code == 0);
  Run r = sb.Deskmail("verify --json");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["consistent"] == true);
  CHECK(j["counts"]["messages"] == 2);
  CHECK(j["findings"].empty());
  Run text = sb.Deskmail("verify");
  CHECK(text.code == 0);
  CHECK_THAT(text.out, Catch::Contains("consistent"));
}

namespace {

// `n` distinct messages of about `kib` KiB of random text each (LZ4 cannot
// shrink it much, so the store holds about as many bytes as the mailbox).
void WriteIncompressible(Sandbox& sb, const std::string& dir, int n, int kib) {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < n; ++i) {
    std::string body;
    for (int k = 0; k < kib * 1024; ++k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      body += kAlphabet[x & 63];
      if (k % 76 == 75) body += '\n';
    }
    sb.Write(dir + "/" + std::to_string(i) + ".eml",
             "From: c" + std::to_string(i) + "@customer.example\nTo: support@acme.example\n" +
                 "Subject: big " + std::to_string(i) + "\nMessage-ID: <big" + std::to_string(i) +
                 "@customer.example>\n\n" + body + "\n");
  }
}

}  // namespace

TEST_CASE("store.max_map_mib caps the store with map full past it, and the variable overrides it") {
  Sandbox sb;
  WriteIncompressible(sb, "in", 40, 100);  // about 4 MiB of mail
  const std::string small = sb.Write("small.toml", "[store]\nmax_map_mib = 2\n");
  const std::string large = sb.Write("large.toml", "[store]\nmax_map_mib = 64\n");
  const std::string replay = " replay " + Quote(sb.dir + "/in") + " --account support --quiet";

  Run capped = sb.Deskmail("--config " + Quote(small) + replay);
  INFO(capped.err);
  CHECK(capped.code == 1);
  CHECK_THAT(capped.err, Catch::Contains("map full"));
  Run after = sb.Deskmail("--config " + Quote(small) + " verify");
  CHECK(after.code == 0);  // stopped, and still consistent
  fs::remove_all(sb.dir + "/data");

  Run roomy = sb.Deskmail("--config " + Quote(large) + replay);
  INFO(roomy.err);
  CHECK(roomy.code == 0);
  fs::remove_all(sb.dir + "/data");

  // DESKMAIL_STORE_MAX_MAP_BYTES (bytes) overrides the key.
  Run env = sb.Deskmail("--config " + Quote(small) + replay,
                        "DESKMAIL_STORE_MAX_MAP_BYTES=" + std::to_string(64 << 20) + " ");
  INFO(env.err);
  CHECK(env.code == 0);
  Run summary = sb.Deskmail("tickets summary --json");
  REQUIRE(summary.code == 0);
  CHECK(nlohmann::json::parse(summary.out)["messages"] == 40);
}
