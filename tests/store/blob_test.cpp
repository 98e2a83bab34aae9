#include "store/blob.h"

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

TEST_CASE("blob: mail text is stored as an LZ4 block and comes back byte for byte", "[blob]") {
  const std::string mail = Mail(400);
  PackedBlob b = PackedBlob::Pack(mail);
  CHECK(b.size() == mail.size());
  REQUIRE(b.stored().size() > 1);
  CHECK(b.stored()[0] == '\x01');
  const auto* size = reinterpret_cast<const unsigned char*>(b.stored().data() + 1);
  CHECK(((size[0] << 24) | (size[1] << 16) | (size[2] << 8) | size[3]) ==
        static_cast<int>(mail.size()));
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

TEST_CASE("blob: each value packs on its own, whatever the thread packed before", "[blob]") {
  // The packing state is reused per thread; nothing of an earlier message
  // may leak into a later block (it would not decode alone).
  const std::string a = Mail(300);
  const std::string huge = Mail(40000);  // over the buffer a thread keeps
  REQUIRE(huge.size() > (2u << 20));
  const std::string a_alone(PackedBlob::Pack(a).stored());
  for (const std::string* bytes : {&huge, &a, &huge, &a}) {
    PackedBlob b = PackedBlob::Pack(*bytes);
    CHECK(b.stored()[0] == '\x01');
    CHECK(b.stored().size() < bytes->size() / 4);
    auto back = store::Unpack(b.stored());
    REQUIRE(back.ok());
    CHECK(*back == *bytes);
  }
  CHECK(PackedBlob::Pack(a).stored() == a_alone);
}

TEST_CASE("blob: a damaged value is corruption, never a crash or an overread", "[blob]") {
  const std::string mail = Mail(200);
  const std::string good(PackedBlob::Pack(mail).stored());
  REQUIRE(good[0] == '\x01');
  std::string unknown_tag = good;
  unknown_tag[0] = '\x07';
  std::string longer = good;  // the header claims one byte more than the block holds
  longer[4] = static_cast<char>(longer[4] + 1);
  std::string huge = good;  // and here 2 GiB, from a few kilobytes
  huge[1] = '\x7f';
  for (const std::string& bad : {std::string(), std::string("\x01\0\0", 3),
                                 good.substr(0, good.size() / 2), unknown_tag, longer, huge}) {
    INFO(bad.size());
    auto r = store::Unpack(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kCorruption);
  }
  // LZ4 has no checksum: a flipped literal may decode, but never past the
  // buffer and never to the original (raw mail is checked by its SHA-256).
  for (std::size_t i = 5; i < good.size(); i += 7) {
    std::string flipped = good;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x55);
    auto r = store::Unpack(flipped);
    if (r.ok()) CHECK(*r != mail);
  }
}

}  // namespace
