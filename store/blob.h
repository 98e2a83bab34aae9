// store::PackedBlob: how raw mail and message text sit on disk. Mail is
// text and compresses about 2x with LZ4, and the bytes written are much
// of what a commit costs (the kernel's write path, the fsync), so the raw
// and bodies databases hold packed values. LZ4 rather than zstd: on mixed
// mail zstd -1 packs at less than half LZ4's speed, and on a busy 2-core
// host that CPU costs more than its smaller writes save.
//
// PACKED FORMAT, the value of `raw_blobs` (and schema 2's `raw_packed`)
// and `bodies`:
//   byte 0      0x00: the bytes follow as they are
//               0x01: LZ4 block format (lz4.h) follows after the size
//   bytes 1..4  (0x01 only) the original size, big-endian
//   then        the payload
// A value that would not get smaller is kept as is. There is no checksum:
// raw mail is checked against its SHA-256 when read (ReadTxn::GetRaw).
//
// Packing is CPU work: callers that store many values (replay, IMAP
// sync) pack them on their parse threads, before the write transaction,
// and hand the result to WriteTxn::PutRaw / PutMessage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace store {

class PackedBlob {
 public:
  PackedBlob() = default;

  // Thread-safe.
  static PackedBlob Pack(std::string_view bytes);

  // What the database holds.
  std::string_view stored() const { return stored_; }
  // How many bytes Unpack gives back.
  std::uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  static PackedBlob Plain(std::string_view bytes);
  std::string stored_;
  std::uint64_t size_ = 0;
};

// The bytes of a stored value. kCorruption for an unknown format byte or a
// block that does not decode to the size in its header.
util::Result<std::string> Unpack(std::string_view stored);

}  // namespace store
