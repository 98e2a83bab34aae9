// store::PackedBlob: how raw mail and message text sit on disk. Mail is
// text and compresses 3-4x, and the bytes written are what a commit costs
// (the kernel's write path), so the raw and bodies databases hold packed
// values.
//
// PACKED FORMAT, the value of `raw` (schema 2) and `bodies`:
//   byte 0    0x00: the bytes follow as they are
//             0x01: one zstd frame follows, with its content size and a
//                   checksum (a damaged value fails to unpack)
//   bytes 1.. the payload
// A value whose frame would not be smaller than the bytes is kept as is.
//
// Packing is the CPU-heavy half: callers that store many values (replay,
// IMAP sync) pack them on their parse threads, before the write
// transaction, and hand the result to WriteTxn::PutRaw / PutMessage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace store {

class PackedBlob {
 public:
  PackedBlob() = default;

  // Thread-safe (each thread keeps its own compression context).
  static PackedBlob Pack(std::string_view bytes);

  // What the database holds.
  std::string_view stored() const { return stored_; }
  // How many bytes Unpack gives back.
  std::uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  std::string stored_;
  std::uint64_t size_ = 0;
};

// The bytes of a stored value. kCorruption for an unknown tag, a bad frame
// or a frame claiming more than 4 GiB.
util::Result<std::string> Unpack(std::string_view stored);

}  // namespace store
