#include "util/bytes.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    std::string t = (fs::temp_directory_path() / "deskmail-bytes-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

TEST_CASE("bytes: copies share one buffer, and empty is empty", "[bytes]") {
  util::Bytes a(std::string("Subject: hi\r\n\r\nbody\r\n"));
  util::Bytes b = a;
  CHECK(b.data() == a.data());
  CHECK(b.view() == "Subject: hi\r\n\r\nbody\r\n");
  CHECK_FALSE(a.mapped());
  util::Bytes none;
  CHECK(none.empty());
  CHECK(none.view().empty());
  CHECK(util::Bytes(std::string()).empty());
}

TEST_CASE("bytes: a file is mapped read-only and outlives its name", "[bytes]") {
  TempDir dir;
  const std::string path = dir.path + "/m.eml";
  const std::string text(300000, 'q');
  std::ofstream(path, std::ios::binary) << text;
  auto m = util::Bytes::MapFile(path);
  REQUIRE(m.ok());
  CHECK(m->mapped());
  fs::remove(path);  // a Maildir message expunged while it is being read
  CHECK(m->view() == text);

  std::ofstream(dir.path + "/empty", std::ios::binary).flush();
  auto e = util::Bytes::MapFile(dir.path + "/empty");
  REQUIRE(e.ok());
  CHECK(e->empty());

  auto missing = util::Bytes::MapFile(dir.path + "/nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find(dir.path + "/nope") != std::string::npos);
}

TEST_CASE("bytes: a spool maps what was appended and leaves no file behind", "[bytes]") {
  TempDir dir;
  auto spool = util::Spool::Open(dir.path);
  REQUIRE(spool.ok());
  std::string want;
  for (int i = 0; i < 100; ++i) {
    const std::string chunk(10000 + i, static_cast<char>('a' + i % 26));
    REQUIRE(spool->Append(chunk).ok());
    want += chunk;
  }
  CHECK(spool->size() == want.size());
  auto bytes = spool->Finish();
  REQUIRE(bytes.ok());
  CHECK(bytes->mapped());
  CHECK(bytes->view() == want);
  CHECK(fs::is_empty(dir.path));  // unlinked: nothing to clean up after a crash
  CHECK_FALSE(spool->Append("more").ok());

  auto bad = util::Spool::Open(dir.path + "/missing-dir");
  CHECK_FALSE(bad.ok());
}

}  // namespace
