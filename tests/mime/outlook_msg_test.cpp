// mime::ParseOutlookMsg on .msg files written by msg_builder (libgsf's OLE2
// writer, MS-OXMSG layout), and on damaged ones.
#include <glib.h>
#include <gsf/gsf.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "mime/outlook_msg.h"
#include "msg_builder.h"
#include "util/sha256.h"

namespace {

constexpr std::int64_t kSent = 1794232800;  // 2026-11-09T14:00:00Z

msgtest::MsgSpec Sample() {
  msgtest::MsgSpec s;
  s.subject = "Beschädigte Bestellung 4711 — 注文";
  s.sender_name = "Jane Roe";
  s.sender_email = "jane.roe@customer.example";
  s.recipients = {{"Acme Support", "support@acme.example", 1},
                  {"Kai Berg", "kai.berg@acme.example", 2}};
  s.display_to = "Acme Support";
  s.submit_time = kSent;
  s.body = "Hello,\r\n\r\nmy order 4711 arrived with a broken mug.\r\n\r\nJane";
  s.html = "<html><body><p>Hello,</p><p>my order 4711 arrived with a broken mug.</p></body></html>";
  s.message_id = "<abc.123@customer.example>";
  s.attachments = {{"Lieferschein.pdf", "application/pdf", std::string("%PDF-1.4\n\0\x01\x02", 12)},
                   {"photo.jpg", "image/jpeg", std::string(3000, '\xAB')}};
  return s;
}

struct Unref {
  void operator()(gpointer p) const {
    if (p != nullptr) g_object_unref(p);
  }
};

std::string ReadChild(GsfInfile* dir, const char* name) {
  std::unique_ptr<GsfInput, Unref> in(gsf_infile_child_by_name(dir, name));
  REQUIRE(in);
  std::string out(static_cast<std::size_t>(gsf_input_size(in.get())), '\0');
  if (!out.empty()) gsf_input_read(in.get(), out.size(), reinterpret_cast<guint8*>(out.data()));
  return out;
}

std::uint32_t Le32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

}  // namespace

TEST_CASE("msg: sender, recipients, subject, date, body, attachments", "[msg]") {
  const msgtest::MsgSpec spec = Sample();
  const auto r = mime::ParseOutlookMsg(msgtest::BuildMsg(spec));
  REQUIRE(r.ok());
  const mime::Message& m = r.value();
  CHECK(m.from.name == "Jane Roe");
  CHECK(m.from.address == "jane.roe@customer.example");
  CHECK(m.subject == spec.subject);
  CHECK(m.date == std::optional<std::int64_t>(kSent));
  CHECK(m.message_id == "abc.123@customer.example");
  REQUIRE(m.to.size() == 1);
  CHECK(m.to[0].address == "support@acme.example");
  CHECK(m.to[0].name == "Acme Support");
  REQUIRE(m.cc.size() == 1);
  CHECK(m.cc[0].address == "kai.berg@acme.example");
  CHECK(m.body_text.find("broken mug") != std::string::npos);
  CHECK_FALSE(m.body_from_html);
  CHECK(m.body_html.find("<p>Hello,</p>") != std::string::npos);
  REQUIRE(m.attachments.size() == 2);
  CHECK(m.attachments[0].filename == "Lieferschein.pdf");
  CHECK(m.attachments[0].content_type == "application/pdf");
  CHECK(m.attachments[0].size == 12);
  CHECK(m.attachments[0].sha256 == util::Sha256Hex(spec.attachments[0].data));
  CHECK(m.attachments[1].size == 3000);
}

TEST_CASE("msg: the file follows MS-CFB and MS-OXMSG", "[msg]") {
  const msgtest::MsgSpec spec = Sample();
  const std::string bytes = msgtest::BuildMsg(spec);
  // MS-CFB 2.2: signature, byte order 0xFFFE at 28, version 3 with 512-byte sectors.
  CHECK(mime::LooksLikeCfb(bytes));
  CHECK(static_cast<unsigned char>(bytes[28]) == 0xFE);
  CHECK(static_cast<unsigned char>(bytes[29]) == 0xFF);
  CHECK(bytes[30] == 9);
  // MS-OXMSG 2.4.1.1: the top-level property stream's 32-byte header counts
  // recipients (offset 16) and attachments (20); 2.4.2: 16-byte entries.
  std::unique_ptr<GsfInput, Unref> in(gsf_input_memory_new(
      reinterpret_cast<const guint8*>(bytes.data()), static_cast<gsf_off_t>(bytes.size()), FALSE));
  std::unique_ptr<GsfInfile, Unref> ole(gsf_infile_msole_new(in.get(), nullptr));
  REQUIRE(ole);
  const std::string props = ReadChild(ole.get(), "__properties_version1.0");
  REQUIRE(props.size() >= 32);
  CHECK(Le32(props, 16) == 2);
  CHECK(Le32(props, 20) == 2);
  CHECK((props.size() - 32) % 16 == 0);
  bool found_time = false;
  for (std::size_t at = 32; at + 16 <= props.size(); at += 16) {
    if (Le32(props, at) != 0x00390040) continue;  // PR_CLIENT_SUBMIT_TIME, PtypTime
    found_time = true;
    const std::uint64_t ft = Le32(props, at + 8) | (std::uint64_t{Le32(props, at + 12)} << 32);
    CHECK(ft == msgtest::FileTime(kSent));
  }
  CHECK(found_time);
  // PR_SUBJECT as PtypString: UTF-16LE in __substg1.0_0037001F.
  CHECK(ReadChild(ole.get(), "__substg1.0_0037001F").substr(0, 4) == std::string("B\0e\0", 4));
}

TEST_CASE("msg: an Exchange sender's SMTP address, on-behalf-of, ANSI strings", "[msg]") {
  msgtest::MsgSpec ex = Sample();
  ex.sender_addrtype = "EX";
  ex.sender_email = "/O=ACME/OU=EXCHANGE/CN=RECIPIENTS/CN=JROE";
  ex.sender_smtp = "jane.roe@customer.example";
  ex.recipients = {{"Support", "/O=ACME/CN=SUPPORT", 1, "EX", "support@acme.example"}};
  auto r = mime::ParseOutlookMsg(msgtest::BuildMsg(ex));
  REQUIRE(r.ok());
  CHECK(r.value().from.address == "jane.roe@customer.example");
  REQUIRE(r.value().to.size() == 1);
  CHECK(r.value().to[0].address == "support@acme.example");

  msgtest::MsgSpec behalf = Sample();
  behalf.representing_name = "Olga Ivanova";
  behalf.representing_email = "olga@klient.example";
  r = mime::ParseOutlookMsg(msgtest::BuildMsg(behalf));
  REQUIRE(r.ok());
  CHECK(r.value().from.address == "olga@klient.example");
  CHECK(r.value().from.name == "Olga Ivanova");

  msgtest::MsgSpec ansi = Sample();
  ansi.unicode = false;
  ansi.codepage = 1251;
  ansi.string8_charset = "WINDOWS-1251";
  ansi.subject = "Повреждённый заказ 4711";
  ansi.body = "Здравствуйте, заказ пришёл разбитым.";
  ansi.sender_name = "Ольга";
  r = mime::ParseOutlookMsg(msgtest::BuildMsg(ansi));
  REQUIRE(r.ok());
  CHECK(r.value().subject == "Повреждённый заказ 4711");
  CHECK(r.value().from.name == "Ольга");
  CHECK(r.value().body_text == "Здравствуйте, заказ пришёл разбитым.");
}

TEST_CASE("msg: fallbacks for HTML-only bodies, missing times and recipients", "[msg]") {
  msgtest::MsgSpec s = Sample();
  s.body.clear();
  s.submit_time.reset();
  s.recipients.clear();
  s.display_to = "Acme Support; Kai Berg";
  s.transport_headers =
      "Received: from mx.customer.example\r\nDate: Mon, 9 Nov 2026 15:00:00 +0100\r\n"
      "From: Jane Roe <jane.roe@customer.example>\r\nSubject: x\r\n";
  auto r = mime::ParseOutlookMsg(msgtest::BuildMsg(s));
  REQUIRE(r.ok());
  const mime::Message& m = r.value();
  CHECK(m.body_from_html);
  CHECK(m.body_text.find("broken mug") != std::string::npos);
  CHECK(m.date == std::optional<std::int64_t>(kSent));  // from the transport header
  CHECK(m.date_tz_offset_minutes == 60);
  REQUIRE(m.to.size() == 2);
  CHECK(m.to[1].name == "Kai Berg");

  s.transport_headers.clear();
  s.delivery_time = kSent + 60;
  r = mime::ParseOutlookMsg(msgtest::BuildMsg(s));
  REQUIRE(r.ok());
  CHECK(r.value().date == std::optional<std::int64_t>(kSent + 60));
}

TEST_CASE("msg: hostile and foreign input", "[msg]") {
  CHECK_FALSE(mime::ParseOutlookMsg("From: a@b.example\r\n\r\nhi").ok());
  CHECK_FALSE(mime::ParseOutlookMsg("").ok());
  const std::string good = msgtest::BuildMsg(Sample());
  CHECK_FALSE(mime::ParseOutlookMsg(good.substr(0, 600)).ok());  // header only, sectors missing
  // An OLE2 file that is not an Outlook item (a Word document would be one).
  msgtest::MsgSpec empty;
  empty.sender_addrtype.clear();
  const auto foreign = mime::ParseOutlookMsg(msgtest::BuildMsg(empty));
  CHECK_FALSE(foreign.ok());
  // Limits: a stream above max_stream_bytes is not read.
  mime::MsgLimits tight;
  tight.max_stream_bytes = 1000;
  const auto limited = mime::ParseOutlookMsg(good, tight);
  REQUIRE(limited.ok());
  REQUIRE(limited.value().attachments.size() == 2);
  CHECK(limited.value().attachments[1].size == 0);
  CHECK_FALSE(limited.value().parse_errors.empty());
  tight.max_input_bytes = 100;
  CHECK_FALSE(mime::ParseOutlookMsg(good, tight).ok());
  // Flipped bytes never crash the reader (the fuzz target goes further).
  for (std::size_t i = 0; i < 400; ++i) {
    std::string bad = good;
    const std::size_t at = (i * 2654435761u) % bad.size();
    bad[at] = static_cast<char>(bad[at] ^ (1 + i % 255));
    bad[(at * 7 + 13) % bad.size()] = static_cast<char>(0xFF);
    (void)mime::ParseOutlookMsg(bad);
  }
}

TEST_CASE("msg: the fixtures parse and fuzz findings stay harmless", "[msg]") {
  const std::filesystem::path dir =
      std::filesystem::path(DESKMAIL_SOURCE_DIR) / "fixtures" / "intake" / "msg";
  int parsed = 0, findings = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".msg") continue;
    INFO(e.path().filename().string());
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto r = mime::ParseOutlookMsg(bytes);
    if (e.path().filename().string().rfind("fuzz_", 0) == 0) {
      ++findings;  // found by msg_fuzz: must return (ok or not) without crashing or leaking
      continue;
    }
    REQUIRE(r.ok());
    CHECK_FALSE(r.value().from.address.empty());
    CHECK_FALSE(r.value().subject.empty());
    CHECK(r.value().date.has_value());
    ++parsed;
  }
  CHECK(parsed >= 3);
  CHECK(findings >= 1);
}
