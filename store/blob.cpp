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

// Above this size a value is sampled before it is compressed whole.
constexpr std::size_t kSampleAbove = 256 << 10;
constexpr std::size_t kSamples = 8;
constexpr std::size_t kSampleBytes = 16 << 10;

LZ4_stream_t* ThreadStream() {
  // Reused per thread: a fresh LZ4 state (16 KB) per message would cost a
  // memset of more than most messages.
  thread_local const std::unique_ptr<LZ4_stream_t, StreamFree> state(LZ4_createStream());
  return state.get();
}

// LZ4 block of `in` into `out` (capacity `cap`); 0 when it does not fit.
int Compress(LZ4_stream_t* state, std::string_view in, char* out, std::size_t cap) {
  // A reset stream has no history: the block decodes on its own.
  LZ4_resetStream_fast(state);
  return LZ4_compress_fast_continue(state, in.data(), out, static_cast<int>(in.size()),
                                    static_cast<int>(cap), 1);
}

// Whether LZ4 would save at least a tenth of a large value, judged from
// kSamples evenly spaced slices of it.
bool WorthCompressing(LZ4_stream_t* state, std::string_view bytes) {
  if (bytes.size() <= kSampleAbove) return true;
  thread_local std::unique_ptr<char[]> out;
  const auto cap = static_cast<std::size_t>(LZ4_compressBound(kSampleBytes));
  if (!out) out = std::make_unique_for_overwrite<char[]>(cap);
  std::size_t in_total = 0;
  std::size_t out_total = 0;
  const std::size_t step = (bytes.size() - kSampleBytes) / (kSamples - 1);
  for (std::size_t i = 0; i < kSamples; ++i) {
    const std::string_view slice = bytes.substr(i * step, kSampleBytes);
    const int n = Compress(state, slice, out.get(), cap);
    in_total += slice.size();
    out_total += n > 0 ? static_cast<std::size_t>(n) : slice.size();
  }
  return out_total * 10 <= in_total * 9;
}

}  // namespace

PackedBlob PackedBlob::PackShared(const util::Bytes& bytes) {
  PackedBlob b;
  b.size_ = bytes.size();
  const std::string_view in = bytes.view();
  LZ4_stream_t* state = ThreadStream();
  if (in.size() >= kMinPack && in.size() <= LZ4_MAX_INPUT_SIZE && state != nullptr &&
      WorthCompressing(state, in)) {
    const auto bound = static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(in.size())));
    thread_local std::unique_ptr<char[]> scratch;  // kKeptScratch bytes once made
    std::unique_ptr<char[]> big;                   // a large value's block, written in place
    char* out = nullptr;
    if (bound <= kKeptScratch) {
      if (!scratch) scratch = std::make_unique_for_overwrite<char[]>(kKeptScratch);
      out = scratch.get();
    } else {
      // Only the pages LZ4 writes become resident, not the whole bound.
      big = std::make_unique_for_overwrite<char[]>(bound);
      out = big.get();
    }
    const int n = Compress(state, in, out, bound);
    if (n > 0 && static_cast<std::size_t>(n) + kSizeBytes < in.size()) {
      b.head_.push_back(kLz4);
      const auto size = static_cast<std::uint32_t>(in.size());
      for (std::size_t i = 0; i < kSizeBytes; ++i) {
        b.head_.push_back(static_cast<char>(size >> (8 * (kSizeBytes - 1 - i))));
      }
      if (big) {
        b.body_ = util::Bytes::Adopt(std::move(big), static_cast<std::size_t>(n));
      } else {
        b.body_ = util::Bytes(std::string(out, static_cast<std::size_t>(n)));
      }
      return b;
    }
  }
  // Too small, too big for one LZ4 block, or not worth it: kept as is.
  b.head_.push_back(kPlain);
  b.body_ = bytes;
  return b;
}

std::string PackedBlob::stored() const {
  std::string s;
  s.reserve(stored_size());
  s.append(head_);
  s.append(body());
  return s;
}

bool PackedBlob::compressed() const { return !head_.empty() && head_[0] == kLz4; }

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
