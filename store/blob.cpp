#include "store/blob.h"

#include <lz4.h>

#include <memory>

namespace store {
namespace {

constexpr char kPlain = 0x00;
constexpr char kLz4 = 0x01;
constexpr std::size_t kSizeBytes = 4;  // original size, big-endian
// Below this, a header costs more than compression saves.
constexpr std::size_t kMinPack = 128;
// Output buffer each packing thread keeps.
constexpr std::size_t kKeptScratch = 1 << 20;

struct StreamFree {
  void operator()(LZ4_stream_t* s) const { LZ4_freeStream(s); }
};

util::Status Corrupt(std::string why) {
  return util::Error(util::Code::kCorruption, "packed value: " + std::move(why));
}

}  // namespace

PackedBlob PackedBlob::Pack(std::string_view bytes) {
  PackedBlob b;
  b.size_ = bytes.size();
  if (bytes.size() >= kMinPack && bytes.size() <= LZ4_MAX_INPUT_SIZE) {
    // Reused per thread: a fresh LZ4 state (16 KB) and a zero-filled
    // output buffer would cost a memset of more than most messages.
    thread_local const std::unique_ptr<LZ4_stream_t, StreamFree> state(LZ4_createStream());
    thread_local std::unique_ptr<char[]> scratch;  // kKeptScratch bytes once made
    if (!state) return Plain(bytes);
    const auto bound = static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(bytes.size())));
    std::unique_ptr<char[]> once;  // a huge message's buffer is not kept
    char* out = nullptr;
    if (bound <= kKeptScratch) {
      if (!scratch) scratch = std::make_unique_for_overwrite<char[]>(kKeptScratch);
      out = scratch.get();
    } else {
      once = std::make_unique_for_overwrite<char[]>(bound);
      out = once.get();
    }
    // A reset stream has no history: the block decodes on its own.
    LZ4_resetStream_fast(state.get());
    const int n = LZ4_compress_fast_continue(
        state.get(), bytes.data(), out, static_cast<int>(bytes.size()), static_cast<int>(bound), 1);
    if (n > 0 && static_cast<std::size_t>(n) + kSizeBytes < bytes.size()) {
      b.stored_.reserve(1 + kSizeBytes + static_cast<std::size_t>(n));
      b.stored_.push_back(kLz4);
      const auto size = static_cast<std::uint32_t>(bytes.size());
      for (std::size_t i = 0; i < kSizeBytes; ++i) {
        b.stored_.push_back(static_cast<char>(size >> (8 * (kSizeBytes - 1 - i))));
      }
      b.stored_.append(out, static_cast<std::size_t>(n));
      return b;
    }
  }
  // Too small, too big for one LZ4 block, or incompressible: keep as is.
  return Plain(bytes);
}

PackedBlob PackedBlob::Plain(std::string_view bytes) {
  PackedBlob b;
  b.size_ = bytes.size();
  b.stored_.reserve(1 + bytes.size());
  b.stored_.push_back(kPlain);
  b.stored_.append(bytes);
  return b;
}

util::Result<std::string> Unpack(std::string_view stored) {
  if (stored.empty()) return Corrupt("empty");
  if (stored[0] == kPlain) return std::string(stored.substr(1));
  if (stored[0] != kLz4) return Corrupt("unknown format byte " + std::to_string(stored[0]));
  if (stored.size() < 1 + kSizeBytes) return Corrupt("truncated header");
  std::uint32_t size = 0;
  for (std::size_t i = 0; i < kSizeBytes; ++i) {
    size = (size << 8) | static_cast<unsigned char>(stored[1 + i]);
  }
  const std::string_view block = stored.substr(1 + kSizeBytes);
  // LZ4 expands at most 255:1; a header claiming more is damage, and must
  // not make us allocate gigabytes.
  if (size > LZ4_MAX_INPUT_SIZE || size / 255 > block.size()) {
    return Corrupt("claims " + std::to_string(size) + " bytes from a " +
                   std::to_string(block.size()) + "-byte block");
  }
  std::string out(size, '\0');
  // The safe decoder never reads or writes out of bounds, whatever the input.
  const int n = LZ4_decompress_safe(block.data(), out.data(), static_cast<int>(block.size()),
                                    static_cast<int>(out.size()));
  if (n < 0) return Corrupt("not a valid LZ4 block");
  if (static_cast<std::uint32_t>(n) != size) return Corrupt("shorter than its header says");
  return out;
}

}  // namespace store
