// mime::ParseOptions::hash_attachments = false (what ingest uses): the same
// attachment list as a full parse, sizes included, without decoding.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include <glib.h>

#include "mime/message.h"
#include "util/bytes.h"
#include "util/sha256.h"

namespace fs = std::filesystem;

namespace {

mime::Message MustParse(const std::string& raw, bool hash) {
  mime::ParseOptions o;
  o.hash_attachments = hash;
  auto m = mime::Parse(raw, o);
  REQUIRE(m.ok());
  return std::move(m).value();
}

std::string Base64(const std::string& bytes) {
  gchar* enc = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
  std::string out = enc;
  g_free(enc);
  return out;
}

bool Damaged(const mime::Message& m) {
  for (const auto& e : m.parse_errors) {
    if (e.find("base64") != std::string::npos) return true;
  }
  return false;
}

std::string WithAttachment(const std::string& base64_body) {
  return "From: scanner@c.example\r\nTo: support@acme.example\r\nSubject: Scan\r\n"
         "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
         "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
         "--b\r\nContent-Type: application/pdf; name=\"scan.pdf\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         base64_body + "\r\n--b--\r\n";
}

}  // namespace

TEST_CASE("Unhashed attachments keep list and decoded sizes over the fixture corpus",
          "[parse][attachments]") {
  const fs::path root = fs::path(DESKMAIL_SOURCE_DIR) / "fixtures";
  int files = 0, with_attachments = 0, unhashed = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const fs::path& p = e.path();
    const bool maildir = p.parent_path().filename() == "cur" || p.parent_path().filename() == "new";
    if (p.extension() != ".eml" && !maildir) continue;
    auto mapped = util::Bytes::MapFile(p.string());
    if (!mapped.ok()) continue;  // empty files: nothing to map
    const std::string raw(mapped->view());
    auto full = mime::Parse(raw);
    if (!full.ok()) continue;
    ++files;
    INFO(p.string());
    const mime::Message quick = MustParse(raw, false);
    REQUIRE(quick.attachments.size() == full->attachments.size());
    if (!full->attachments.empty()) ++with_attachments;
    for (std::size_t i = 0; i < full->attachments.size(); ++i) {
      const mime::Attachment& a = full->attachments[i];
      const mime::Attachment& b = quick.attachments[i];
      CHECK(b.filename == a.filename);
      CHECK(b.content_type == a.content_type);
      CHECK(b.inline_image == a.inline_image);
      CHECK_FALSE(a.sha256.empty());
      if (!Damaged(*full)) CHECK(b.size == a.size);
      if (b.sha256.empty()) {
        ++unhashed;
      } else {
        CHECK(b.sha256 == a.sha256);
      }
    }
    // The text is the same: only attachments are skipped.
    CHECK(quick.body_text == full->body_text);
  }
  CHECK(files >= 150);
  CHECK(with_attachments >= 10);
  CHECK(unhashed >= 10);  // the option did skip work
}

TEST_CASE("A base64 attachment's size is exact however its lines are laid out",
          "[parse][attachments]") {
  // Bytes of every length from 0 to 70, in base64 as one line, in lines of
  // 8 with CRLF, with LF, with a space before the line end, and unpadded.
  for (std::size_t n = 0; n <= 70; ++n) {
    std::string bytes;
    for (std::size_t i = 0; i < n; ++i) bytes.push_back(static_cast<char>(i * 37 + 11));
    const std::string enc = Base64(bytes);
    std::string crlf, lf, spaced;
    for (std::size_t i = 0; i < enc.size(); i += 8) {
      crlf += enc.substr(i, 8) + "\r\n";
      lf += enc.substr(i, 8) + "\n";
      spaced += enc.substr(i, 8) + " \r\n";
    }
    std::string unpadded = enc;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    for (const std::string& body : {enc, crlf, lf, spaced}) {
      INFO("length " << n << ", body " << body);
      const mime::Message full = MustParse(WithAttachment(body), true);
      const mime::Message quick = MustParse(WithAttachment(body), false);
      REQUIRE(full.attachments.size() == 1);
      REQUIRE(quick.attachments.size() == 1);
      CHECK(full.attachments[0].size == n);
      CHECK(full.attachments[0].sha256 == util::Sha256Hex(bytes));
      CHECK(quick.attachments[0].size == n);
      CHECK(quick.attachments[0].sha256.empty());
      CHECK(quick.parse_errors == full.parse_errors);
      CHECK_FALSE(Damaged(quick));
    }
    // Without its padding the last quantum is cut: GMime decodes the whole
    // ones only, and both say the data is truncated.
    INFO("length " << n << ", unpadded " << unpadded);
    const mime::Message full = MustParse(WithAttachment(unpadded), true);
    const mime::Message quick = MustParse(WithAttachment(unpadded), false);
    REQUIRE(quick.attachments.size() == 1);
    CHECK(quick.attachments[0].size == full.attachments[0].size);
    CHECK(quick.parse_errors == full.parse_errors);
    CHECK(Damaged(quick) == (n % 3 != 0));
  }
}
