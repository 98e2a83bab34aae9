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
  const std::string stored = b.stored();
  REQUIRE(stored.size() > 1);
  CHECK(stored[0] == '\x01');
  const auto* size = reinterpret_cast<const unsigned char*>(stored.data() + 1);
  CHECK(((size[0] << 24) | (size[1] << 16) | (size[2] << 8) | size[3]) ==
        static_cast<int>(mail.size()));
  CHECK(stored.size() < mail.size() / 3);
  CHECK(b.compressed());
  auto back = store::Unpack(stored);
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

TEST_CASE("blob: raw mail kept as it is shares the caller's bytes, not a copy", "[blob]") {
  const util::Bytes raw(store_test::Incompressible(64 << 10, 7));
  PackedBlob b = PackedBlob::PackShared(raw);
  REQUIRE_FALSE(b.compressed());
  CHECK(b.head() == std::string_view("\0", 1));
  CHECK(b.body().data() == raw.data());  // the same buffer
  auto back = store::Unpack(b.stored());
  REQUIRE(back.ok());
  CHECK(*back == raw.view());
}

TEST_CASE("blob: a large value is compressed only when a sample says LZ4 saves", "[blob]") {
  // A 3 MB message that is a short text and a base64 attachment of
  // compressed data: LZ4 gains nothing, so it is kept as it is (and shared).
  std::string attachment_mail = Mail(20);
  const std::string noise = store_test::Incompressible(3 << 20, 3);
  static const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < noise.size(); ++i) {
    attachment_mail += kB64[static_cast<unsigned char>(noise[i]) & 63];
    if (i % 76 == 75) attachment_mail += "\r\n";
  }
  const util::Bytes a(attachment_mail);
  PackedBlob pa = PackedBlob::PackShared(a);
  CHECK_FALSE(pa.compressed());
  CHECK(pa.body().data() == a.data());

  // 3 MB of text: compressed, and it decodes back.
  const std::string text = Mail(50000);
  REQUIRE(text.size() > (2u << 20));
  PackedBlob pt = PackedBlob::PackShared(util::Bytes(text));
  CHECK(pt.compressed());
  CHECK(pt.stored_size() < text.size() / 3);
  auto back = store::Unpack(pt.stored());
  REQUIRE(back.ok());
  CHECK(*back == text);
}
