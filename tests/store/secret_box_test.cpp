// store::SecretBox: sealing, tamper detection, key loading, and that a
// sealed token stored in LMDB cannot be found in the file.
#include "store/secret_box.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <optional>

#include "store/store.h"
#include "tests/store/test_util.h"

namespace {

using store::SecretBox;
using store_test::TempDir;
using util::Code;

const std::string kHexKey(64, 'a');  // 0xaa x 32
const std::string kOtherHexKey = std::string(63, 'a') + "b";

SecretBox Box(const std::string& text = kHexKey) {
  auto r = SecretBox::FromKeyText(text);
  REQUIRE(r.ok());
  return std::move(r).value();
}

// Sets or unsets DESKMAIL_MASTER_KEY for one scope.
class EnvKey {
 public:
  explicit EnvKey(const std::optional<std::string>& value) {
    if (const char* old = getenv("DESKMAIL_MASTER_KEY")) old_ = old;
    if (value) {
      setenv("DESKMAIL_MASTER_KEY", value->c_str(), 1);
    } else {
      unsetenv("DESKMAIL_MASTER_KEY");
    }
  }
  ~EnvKey() {
    if (old_) {
      setenv("DESKMAIL_MASTER_KEY", old_->c_str(), 1);
    } else {
      unsetenv("DESKMAIL_MASTER_KEY");
    }
  }

 private:
  std::optional<std::string> old_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

TEST_CASE("secret_box: seal then open returns the plaintext", "[secret_box]") {
  SecretBox box = Box();
  for (const std::string& plain : {std::string(), std::string("M.R3_BAY.-CRefresh+/=&token"),
                                   std::string("\0\xff", 2), std::string(5000, 'z')}) {
    auto sealed = box.Seal(plain, "refresh_token:support");
    REQUIRE(sealed.ok());
    CHECK(sealed->size() == 1 + 12 + plain.size() + 16);
    CHECK((*sealed)[0] == '\x01');
    auto opened = box.Open(*sealed, "refresh_token:support");
    REQUIRE(opened.ok());
    CHECK(*opened == plain);
  }
}

TEST_CASE("secret_box: every seal uses a fresh nonce", "[secret_box]") {
  SecretBox box = Box();
  auto a = box.Seal("same token", "n");
  auto b = box.Seal("same token", "n");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->substr(1, 12) != b->substr(1, 12));
  CHECK(*a != *b);
}

TEST_CASE("secret_box: a flipped bit anywhere fails without leaking the plaintext",
          "[secret_box]") {
  SecretBox box = Box();
  const std::string plain = "tok-SECRET-42";
  auto sealed = box.Seal(plain, "refresh_token:support");
  REQUIRE(sealed.ok());
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    for (unsigned char bit : {0x01, 0x80}) {
      std::string bad = *sealed;
      bad[i] = static_cast<char>(bad[i] ^ bit);
      auto r = box.Open(bad, "refresh_token:support");
      INFO("byte " << i << " bit " << int(bit));
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Code::kCorruption);
      CHECK_THAT(r.status().message(), Catch::Contains("secret refresh_token:support"));
      if (i > 0) {
        CHECK_THAT(r.status().message(),
                   Catch::Contains("authentication failed (tampered or wrong master key)"));
      }
      CHECK_THAT(r.status().message(), !Catch::Contains("SECRET"));
    }
  }
}

TEST_CASE("secret_box: truncated or extended blobs are refused", "[secret_box]") {
  SecretBox box = Box();
  auto sealed = box.Seal("abc", "n");
  REQUIRE(sealed.ok());
  for (std::size_t len = 0; len < sealed->size(); ++len) {
    INFO(len);
    CHECK(box.Open(sealed->substr(0, len), "n").status().code() == Code::kCorruption);
  }
  CHECK(box.Open(*sealed + "x", "n").status().code() == Code::kCorruption);
}

TEST_CASE("secret_box: a blob copied under another name fails", "[secret_box]") {
  SecretBox box = Box();
  auto sealed = box.Seal("tok", "refresh_token:support");
  REQUIRE(sealed.ok());
  for (const char* other : {"refresh_token:sales", "refresh_token:support ", "", "R"}) {
    auto r = box.Open(*sealed, other);
    INFO(other);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("authentication failed"));
  }
}

TEST_CASE("secret_box: another key cannot open it", "[secret_box]") {
  auto sealed = Box().Seal("tok", "n");
  REQUIRE(sealed.ok());
  auto r = Box(kOtherHexKey).Open(*sealed, "n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kCorruption);
  CHECK_THAT(r.status().message(), Catch::Contains("wrong master key"));
}

TEST_CASE("secret_box: key text formats", "[secret_box]") {
  // 0xaa x 32 in base64 (padded, unpadded) and hex in either case: one key.
  const std::string b64 = "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=";
  auto sealed = Box(kHexKey).Seal("tok", "n");
  REQUIRE(sealed.ok());
  for (const std::string& text :
       {kHexKey, std::string(64, 'A'), b64, b64.substr(0, 43), "  " + kHexKey + "\n"}) {
    INFO(text);
    auto box = SecretBox::FromKeyText(text);
    REQUIRE(box.ok());
    CHECK(box->Open(*sealed, "n").ok());
  }
  // URL-safe base64 of bytes 0xfb.. decodes the same as the standard form.
  const std::string std64 = "+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/8=";
  const std::string url64 = "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8";
  auto s2 = Box(std64).Seal("x", "n");
  REQUIRE(s2.ok());
  CHECK(Box(url64).Open(*s2, "n").ok());

  const std::string secretish = "hunter2-" + std::string(56, 'Q');
  for (const std::string& bad :
       {std::string(), std::string(63, 'a'), std::string(65, 'a'), std::string(62, 'a') + "zz",
        b64.substr(0, 42), b64 + "=", std::string(43, '*'), secretish, std::string(44, 'q')}) {
    INFO(bad);
    auto box = SecretBox::FromKeyText(bad);
    REQUIRE_FALSE(box.ok());
    CHECK(box.status().code() == Code::kInvalidArgument);
    CHECK_THAT(box.status().message(), Catch::Contains("64 hex digits"));
    if (!bad.empty()) CHECK_THAT(box.status().message(), !Catch::Contains(bad));
  }
  CHECK_FALSE(SecretBox::FromRawKey("short").ok());
  CHECK(SecretBox::FromRawKey(std::string(32, '\xaa')).ok());
}

TEST_CASE("secret_box: the environment key wins and a bad one is refused without echo",
          "[secret_box]") {
  TempDir tmp;
  auto sealed = Box().Seal("tok", "n");
  REQUIRE(sealed.ok());
  {
    EnvKey env(kHexKey);
    auto box = SecretBox::Load(tmp.path());
    REQUIRE(box.ok());
    CHECK(box->Open(*sealed, "n").ok());
    // The environment key leaves the data directory alone.
    CHECK_FALSE(std::filesystem::exists(tmp.path() + "/master.key"));
  }
  {
    const std::string bad = "not-a-key-but-maybe-a-password";
    EnvKey env(bad);
    auto box = SecretBox::Load(tmp.path());
    REQUIRE_FALSE(box.ok());
    CHECK(box.status().code() == Code::kInvalidArgument);
    CHECK_THAT(box.status().message(), Catch::Contains("DESKMAIL_MASTER_KEY is malformed"));
    CHECK_THAT(box.status().message(), !Catch::Contains(bad));
  }
}

TEST_CASE("secret_box: the key file is created 0600 once and reused", "[secret_box]") {
  TempDir tmp;
  EnvKey env(std::nullopt);
  const std::string dir = tmp.path() + "/data";  // Load creates it
  auto first = SecretBox::Load(dir);
  REQUIRE(first.ok());
  const std::string path = dir + "/master.key";
  CHECK(ModeOf(path) == 0600);
  CHECK(ModeOf(dir) == 0700);
  const std::string content = ReadFile(path);
  CHECK(content.size() == 65);
  CHECK(content.back() == '\n');
  auto sealed = first->Seal("tok", "n");
  REQUIRE(sealed.ok());
  auto second = SecretBox::Load(dir);
  REQUIRE(second.ok());
  CHECK(ReadFile(path) == content);
  CHECK(second->Open(*sealed, "n").ok());
  // The file's text is the env format: an operator can move it to the env.
  EnvKey moved(content);
  auto from_env = SecretBox::Load(tmp.path());
  REQUIRE(from_env.ok());
  CHECK(from_env->Open(*sealed, "n").ok());
  // No temporary file is left behind.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("secret_box: two data dirs get different keys", "[secret_box]") {
  TempDir a, b;
  EnvKey env(std::nullopt);
  auto ka = SecretBox::Load(a.path());
  auto kb = SecretBox::Load(b.path());
  REQUIRE(ka.ok());
  REQUIRE(kb.ok());
  auto sealed = ka->Seal("tok", "n");
  REQUIRE(sealed.ok());
  CHECK_FALSE(kb->Open(*sealed, "n").ok());
}

TEST_CASE("secret_box: an insecure or malformed key file is refused", "[secret_box]") {
  TempDir tmp;
  EnvKey env(std::nullopt);
  REQUIRE(SecretBox::Load(tmp.path()).ok());
  const std::string path = tmp.path() + "/master.key";
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    REQUIRE(chmod(path.c_str(), mode) == 0);
    auto r = SecretBox::Load(tmp.path());
    INFO(mode);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("accessible by group or others"));
    CHECK_THAT(r.status().message(), Catch::Contains("chmod 600 " + path));
  }
  REQUIRE(chmod(path.c_str(), 0400) == 0);  // read-only for the owner is fine
  CHECK(SecretBox::Load(tmp.path()).ok());
  REQUIRE(chmod(path.c_str(), 0600) == 0);
  {
    std::ofstream out(path, std::ios::trunc);
    out << "this is not a key\n";
  }
  auto r = SecretBox::Load(tmp.path());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("not a master key"));
  CHECK_THAT(r.status().message(), !Catch::Contains("this is not a key"));
  // 32 raw bytes are accepted too.
  {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << std::string(32, '\xaa');
  }
  auto raw = SecretBox::Load(tmp.path());
  REQUIRE(raw.ok());
  auto sealed = Box().Seal("tok", "n");
  CHECK(raw->Open(*sealed, "n").ok());
}

TEST_CASE("secret_box: a key file that is a symlink is refused", "[secret_box]") {
  TempDir tmp;
  EnvKey env(std::nullopt);
  const std::string target = tmp.path() + "/elsewhere";
  {
    std::ofstream out(target);
    out << kHexKey << "\n";
  }
  REQUIRE(chmod(target.c_str(), 0600) == 0);
  std::filesystem::create_symlink(target, tmp.path() + "/master.key");
  auto r = SecretBox::Load(tmp.path());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kIOError);
}

TEST_CASE("secret_box: a sealed token cannot be found in the LMDB file", "[secret_box]") {
  TempDir tmp;
  EnvKey env(std::nullopt);
  const std::string token = "M.C107_BAY.0.U.-TOKEN-FIND-ME-0123456789abcdef";
  const std::string dir = tmp.store();
  {
    auto st = store_test::OpenStore(dir);
    auto box = SecretBox::Load(dir);
    REQUIRE(box.ok());
    auto sealed = box->Seal(token, "refresh_token:support");
    REQUIRE(sealed.ok());
    REQUIRE(st->Write([&](store::WriteTxn& txn) {
                return txn.PutSecret("refresh_token:support", *sealed);
              }).ok());
    // Round trip through the store.
    REQUIRE(st->Read([&](store::ReadTxn& txn) {
                auto got = txn.GetSecret("refresh_token:support");
                REQUIRE(got.has_value());
                auto opened = box->Open(*got, "refresh_token:support");
                REQUIRE(opened.ok());
                CHECK(*opened == token);
                return util::Status::Ok();
              }).ok());
  }
  const std::string bytes = ReadFile(dir + "/data.mdb");
  REQUIRE(bytes.size() > 0);
  // The name is stored in clear (it is the key); the token is not, not
  // even a distinctive piece of it.
  CHECK(bytes.find("refresh_token:support") != std::string::npos);
  CHECK(bytes.find(token) == std::string::npos);
  CHECK(bytes.find("TOKEN-FIND-ME") == std::string::npos);
}

}  // namespace
