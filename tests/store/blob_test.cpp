#include "store/blob.h"

#include <zstd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/store/test_util.h"

namespace {

using store::PackedBlob;
using util::Code;

std::string Mail(std::size_t lines) {
  std::string s = "From: a@b.example\r\nSubject: printer\r\n\r\n";
  for (std::size_t i = 0; i < lines; ++i) {
    s += "Line " + std::to_string(i) + ": the printer on floor 3 jams on every page.\r\n";
  }
  return s;
}

TEST_CASE("blob: mail text is stored as a zstd frame and comes back byte for byte", "[blob]") {
  const std::string mail = Mail(400);
  PackedBlob b = PackedBlob::Pack(mail);
  CHECK(b.size() == mail.size());
  REQUIRE(b.stored().size() > 1);
  CHECK(b.stored()[0] == '\x01');
  CHECK(b.stored().size() < mail.size() / 3);
  auto back = store::Unpack(b.stored());
  REQUIRE(back.ok());
  CHECK(*back == mail);
}

TEST_CASE("blob: small or incompressible bytes are kept as they are", "[blob]") {
  for (const std::string& bytes :
       {std::string(), std::string("hi"), std::string(127, 'x'),
        store_test::Incompressible(64 << 10, 1), std::string("\0\x01\xff", 3)}) {
    INFO(bytes.size());
    PackedBlob b = PackedBlob::Pack(bytes);
    CHECK(b.size() == bytes.size());
    REQUIRE(b.stored().size() == bytes.size() + 1);
    CHECK(b.stored()[0] == '\0');
    auto back = store::Unpack(b.stored());
    REQUIRE(back.ok());
    CHECK(*back == bytes);
  }
}

TEST_CASE("blob: packing from many threads gives the same bytes", "[blob]") {
  const std::string mail = Mail(50);
  const std::string want(PackedBlob::Pack(mail).stored());
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (PackedBlob::Pack(mail).stored() != want) ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(bad == 0);
}

TEST_CASE("blob: a damaged value is corruption, never a crash or a wrong text", "[blob]") {
  const std::string mail = Mail(200);
  const std::string good(PackedBlob::Pack(mail).stored());
  std::string truncated = good.substr(0, good.size() / 2);
  std::string unknown_tag = good;
  unknown_tag[0] = '\x07';
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x55;
  // A frame whose header claims 8 GiB: must be refused before allocating.
  std::string huge(1 + ZSTD_compressBound(16), '\0');
  huge[0] = '\x01';
  {
    ZSTD_CCtx* c = ZSTD_createCCtx();
    ZSTD_CCtx_setPledgedSrcSize(c, 8ull << 30);
    ZSTD_outBuffer out{huge.data() + 1, huge.size() - 1, 0};
    ZSTD_inBuffer in{"x", 1, 0};
    ZSTD_compressStream2(c, &out, &in, ZSTD_e_flush);
    huge.resize(1 + out.pos);
    ZSTD_freeCCtx(c);
  }
  for (const std::string& bad :
       {std::string(), std::string("\x01", 1), truncated, unknown_tag, flipped, huge}) {
    INFO(bad.size());
    auto r = store::Unpack(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kCorruption);
  }
}

}  // namespace
