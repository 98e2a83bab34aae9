// Examine, Append and fetching in bounded batches, against Dovecot.
#include <malloc.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "dovecot_fixture.h"
#include "imap/session.h"

namespace {

// Line ends: libetpan's APPEND turns bare LF into CRLF; Dovecot's Maildir
// stores LF and FETCH BODY[] returns CRLF. So a message written with CRLF
// comes back byte-for-byte (checked below); one with bare LF comes back CRLF.
TEST_CASE("Examine reports uidvalidity, uidnext and exists", "[imap][fetch][dovecot]") {
  DOVECOT_OR_SKIP(d);
  const std::string user = imap_test::UniqueUser("examine");
  imap::Session s = imap_test::ConnectAs(d, user);
  auto empty = s.Examine("INBOX");
  REQUIRE(empty.ok());
  CHECK(empty->exists == 0);
  CHECK(empty->uidvalidity != 0);
  CHECK(empty->read_only);
  uint32_t last_uid = 0;
  for (int i = 0; i < 3; ++i) {
    auto uid = s.Append("INBOX", imap_test::MakeMessage("examine-" + std::to_string(i), 200));
    REQUIRE(uid.ok());
    CHECK(*uid > last_uid);
    last_uid = *uid;
  }
  auto box = s.Examine("INBOX");
  REQUIRE(box.ok());
  CHECK(box->exists == 3);
  CHECK(box->uidnext == last_uid + 1);
  CHECK(box->uidvalidity == empty->uidvalidity);
  auto sel = s.Select("INBOX");
  REQUIRE(sel.ok());
  CHECK_FALSE(sel->read_only);
}

TEST_CASE("FetchBatch returns every message exactly once in UID order", "[imap][fetch][dovecot]") {
  DOVECOT_OR_SKIP(d);
  const std::string user = imap_test::UniqueUser("batch");
  imap::Session s = imap_test::ConnectAs(d, user);
  std::map<uint32_t, std::string> sent;
  for (int i = 0; i < 23; ++i) {
    std::string msg = imap_test::MakeMessage("batch-" + std::to_string(i), 100 + 250 * (i % 5));
    auto uid = s.Append("INBOX", msg);
    REQUIRE(uid.ok());
    sent[*uid] = msg;
  }
  REQUIRE(s.Examine("INBOX").ok());

  struct Case {
    const char* name;
    imap::BatchLimits limits;
  };
  const Case cases[] = {
      {"count-bound", {4, 1 << 20}},
      {"byte-bound", {100, 2000}},
      {"one at a time", {1, 1}},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      std::vector<uint32_t> seen;
      util::Status st = s.FetchBatch(1, c.limits, [&](imap::FetchedMessage&& m) {
        seen.push_back(m.uid);
        CHECK(m.raw == sent.at(m.uid));
        CHECK(m.size == m.raw.size());
        CHECK(m.internal_date.time_since_epoch().count() > 0);
        return util::Status::Ok();
      });
      REQUIRE(st.ok());
      std::vector<uint32_t> want;
      for (const auto& [uid, msg] : sent) want.push_back(uid);
      CHECK(seen == want);
    }
  }
  SECTION("starting in the middle") {
    const uint32_t from = std::next(sent.begin(), 10)->first;
    auto list = s.ListFrom(from);
    REQUIRE(list.ok());
    REQUIRE(list->size() == 13);
    CHECK(list->front().uid == from);
  }
  SECTION("n:* past the last UID yields nothing, though the server returns the last message") {
    const uint32_t past = sent.rbegin()->first + 1;
    auto list = s.ListFrom(past);
    REQUIRE(list.ok());
    CHECK(list->empty());
    int calls = 0;
    REQUIRE(s.FetchBatch(past, {}, [&](imap::FetchedMessage&&) {
               ++calls;
               return util::Status::Ok();
             }).ok());
    CHECK(calls == 0);
  }
  SECTION("a callback error stops the batch and is returned") {
    int calls = 0;
    util::Status st = s.FetchBatch(1, {5, 1 << 20}, [&](imap::FetchedMessage&&) {
      return ++calls == 7 ? util::Status(util::Code::kIOError, "disk full") : util::Status::Ok();
    });
    CHECK(st.code() == util::Code::kIOError);
    CHECK(calls == 7);
  }
}

TEST_CASE("A 25 MB message round-trips byte-exact", "[imap][fetch][dovecot][slow]") {
  DOVECOT_OR_SKIP(d);
  const std::string user = imap_test::UniqueUser("big");
  imap::Session s = imap_test::ConnectAs(d, user);
  const std::string msg = imap_test::MakeMessage("big", 25u << 20);
  auto uid = s.Append("INBOX", msg);
  REQUIRE(uid.ok());
  REQUIRE(s.Examine("INBOX").ok());
  auto got = s.FetchMessages(std::vector<uint32_t>{*uid});
  REQUIRE(got.ok());
  REQUIRE(got->size() == 1);
  CHECK(got->front().size == msg.size());
  CHECK(got->front().raw.size() == msg.size());
  CHECK((got->front().raw == msg));  // not CHECK(a == b): Catch would print 25 MB
}

// A /proc/self/status field ("VmRSS:", "VmHWM:") in kB.
long StatusKb(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  }
  return -1;
}

// The process's peak resident memory while `fn` runs, above what it held
// before (Linux: writing 5 to clear_refs resets VmHWM to the current RSS).
template <typename Fn>
long PeakGrowthKb(Fn&& fn) {
  ::malloc_trim(0);
  {
    std::ofstream reset("/proc/self/clear_refs");
    reset << "5";
  }
  const long base = StatusKb("VmRSS:");
  fn();
  return StatusKb("VmHWM:") - base;
}

// Issue 11: libetpan read every BODY[] literal whole into a buffer of its
// own and the session copied it out, so a big message was held twice (and
// a batch of them, twice each) until the command ended.
TEST_CASE("A large message is read once straight into its string", "[imap][fetch][dovecot]") {
  DOVECOT_OR_SKIP(d);
  const std::string user = imap_test::UniqueUser("onecopy");
  imap::Session s = imap_test::ConnectAs(d, user);
  const std::string msg = imap_test::MakeMessage("onecopy", 12u << 20);
  auto uid = s.Append("INBOX", msg);
  REQUIRE(uid.ok());
  REQUIRE(s.Examine("INBOX").ok());
  auto listed = s.ListFrom(1);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().size == msg.size());
  const long msg_kb = static_cast<long>(msg.size() / 1024);

  // With the sizes ListFrom reported, as the sync passes them: one
  // allocation of the message's size, filled as the bytes arrive.
  util::Result<std::vector<imap::FetchedMessage>> got = std::vector<imap::FetchedMessage>{};
  const long grew = PeakGrowthKb([&] { got = s.FetchMessages(std::span(*listed)); });
  REQUIRE(got.ok());
  REQUIRE(got->size() == 1);
  CHECK((got->front().raw == msg));  // not CHECK(a == b): Catch would print 12 MB
  INFO("message " << msg_kb << " kB, peak growth " << grew << " kB");
  CHECK(grew < msg_kb + msg_kb / 8);  // libetpan's copy and ours made it 2x

  // By UID alone the string grows as it fills; the bytes are the same.
  got = s.FetchMessages(std::vector<uint32_t>{*uid});
  REQUIRE(got.ok());
  REQUIRE(got->size() == 1);
  CHECK((got->front().raw == msg));
}

// A body from Config::spool_from on goes to an unlinked file in spool_dir
// and comes back mapped: the bytes never sit in anonymous memory while the
// store copies them. Smaller ones stay strings; a spool that cannot be
// opened fails the fetch as transient, naming the cause.
TEST_CASE("A body above spool_from arrives spooled to disk and byte-exact",
          "[imap][fetch][dovecot]") {
  DOVECOT_OR_SKIP(d);
  const std::string user = imap_test::UniqueUser("spool");
  const std::string big = imap_test::MakeMessage("spooled", 3u << 20);
  const std::string small = imap_test::MakeMessage("small", 4000);
  {
    imap::Session s = imap_test::ConnectAs(d, user);
    REQUIRE(s.Append("INBOX", big).ok());
    REQUIRE(s.Append("INBOX", small).ok());
  }
  std::string dir = (std::filesystem::temp_directory_path() / "deskmail-spool-XXXXXX").string();
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  imap::Config cfg = imap_test::ImapsConfig(d);
  cfg.spool_dir = dir;
  cfg.spool_from = 1u << 20;
  auto connect = [&](const imap::Config& c) {
    auto s = imap::Session::Connect(c);
    REQUIRE(s.ok());
    REQUIRE(s->Authenticate(imap::XOAuth2{user, imap_test::MintJwt(d.hmac_key_b64(), user, 3600)})
                .ok());
    REQUIRE(s->Examine("INBOX").ok());
    return std::move(*s);
  };
  imap::Session s = connect(cfg);
  auto listed = s.ListFrom(1);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  auto got = s.FetchMessages(std::span<const imap::UidSize>(*listed));
  REQUIRE(got.ok());
  REQUIRE(got->size() == 2);
  imap::FetchedMessage& a = (*got)[0];
  CHECK(a.raw.empty());
  CHECK(a.spooled.mapped());
  CHECK((a.spooled.view() == big));
  CHECK(a.spooled.size() == a.size);
  imap::FetchedMessage& b = (*got)[1];
  CHECK(b.spooled.empty());
  CHECK((b.raw == small));
  CHECK((b.TakeBody().view() == small));
  CHECK(std::filesystem::is_empty(dir));  // nothing named is left behind

  imap::Config nowhere = cfg;
  nowhere.spool_dir = dir + "/missing";
  imap::Session t = connect(nowhere);
  auto failed = t.FetchMessages(std::span<const imap::UidSize>(*listed));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == util::Code::kTransient);
  CHECK_THAT(failed.status().message(), Catch::Contains("spooling a large message"));
  std::filesystem::remove_all(dir);
}

std::string MessageWithAttachments(int count) {
  std::string m =
      "From: a@example.com\r\nTo: b@example.com\r\nSubject: many attachments\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n"
      "--BOUNDARY\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n";
  for (int i = 0; i < count; ++i) {
    m += "--BOUNDARY\r\nContent-Type: application/octet-stream\r\n"
         "Content-Disposition: attachment; filename=\"file" +
         std::to_string(i) + ".bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" + std::to_string(i % 10) + "\r\n";
  }
  return m + "--BOUNDARY--\r\n";
}

TEST_CASE("A 500-attachment message round-trips byte-exact", "[imap][fetch][dovecot]") {
  DOVECOT_OR_SKIP(d);
  const std::string user = imap_test::UniqueUser("attach");
  imap::Session s = imap_test::ConnectAs(d, user);
  const std::string msg = MessageWithAttachments(500);
  REQUIRE(s.Append("INBOX", msg).ok());
  REQUIRE(s.Examine("INBOX").ok());
  std::vector<imap::FetchedMessage> got;
  REQUIRE(s.FetchBatch(1, {}, [&](imap::FetchedMessage&& m) {
             got.push_back(std::move(m));
             return util::Status::Ok();
           }).ok());
  REQUIRE(got.size() == 1);
  CHECK((got[0].raw == msg));
}

TEST_CASE("Non-ASCII folder names travel as modified UTF-7", "[imap][fetch][dovecot]") {
  DOVECOT_OR_SKIP(d);
  const std::string user = imap_test::UniqueUser("utf7");
  imap::Session s = imap_test::ConnectAs(d, user);
  const std::string folder = "Erledigt/Übersicht & 台北";
  REQUIRE(s.CreateFolder(folder).ok());
  REQUIRE(s.Append(folder, imap_test::MakeMessage("utf7", 100)).ok());
  auto box = s.Examine(folder);
  REQUIRE(box.ok());
  CHECK(box->exists == 1);
  // The name on disk is Dovecot's decoding of what we sent.
  CHECK_THAT(imap_test::Run("ls -a " + d.dir + "/mail/" + user + "/Maildir"),
             Catch::Contains(".Erledigt.&ANw-bersicht &- &U,BTFw-"));
  auto missing = s.Examine("No Such Folder");
  REQUIRE_FALSE(missing.ok());
  CHECK(s.last_error().scope == imap::Scope::kFolder);
  CHECK(s.Examine("INBOX").ok());  // a folder-scope error leaves the session usable
}

}  // namespace

TEST_CASE("FetchIdentity returns the identifying headers and size, not the body",
          "[imap][fetch][dovecot]") {
  DOVECOT_OR_SKIP(d);
  const std::string user = imap_test::UniqueUser("identity");
  imap::Session s = imap_test::ConnectAs(d, user);
  const std::string with_id =
      "From: Ann <ann@customer.example>\r\nTo: support@example.com\r\nSubject: s\r\n"
      "Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: <ident-1@customer.example>\r\n"
      "Received: from mx by mx\r\n\r\n" +
      std::string(5000, 'b') + "\r\n";
  const std::string without_id = "From: scanner@customer.example\r\nSubject: scan\r\n\r\nbody\r\n";
  auto u1 = s.Append("INBOX", with_id);
  auto u2 = s.Append("INBOX", without_id);
  REQUIRE(u1.ok());
  REQUIRE(u2.ok());
  REQUIRE(s.Examine("INBOX").ok());
  const std::vector<uint32_t> uids{*u1, *u2, *u2 + 50};  // the last one does not exist
  auto got = s.FetchIdentity(uids);
  REQUIRE(got.ok());
  REQUIRE(got->size() == 2);
  const auto& a = (*got)[0];
  CHECK(a.uid == *u1);
  CHECK(a.size == with_id.size());
  CHECK_THAT(a.raw, Catch::Contains("Message-ID: <ident-1@customer.example>"));
  CHECK_THAT(a.raw, Catch::Contains("From: Ann"));
  CHECK_THAT(a.raw, Catch::Contains("Date: Mon, 02 Nov 2026"));
  CHECK_THAT(a.raw, !Catch::Contains("Received") && !Catch::Contains("bbbb"));
  CHECK((*got)[1].uid == *u2);
  CHECK_THAT((*got)[1].raw, !Catch::Contains("Message-ID"));
}
