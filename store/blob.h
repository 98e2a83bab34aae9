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
//
// Memory: a value kept as it is shares the caller's util::Bytes (no copy),
// and a large one is only compressed when a sample of it shows that LZ4
// saves enough (attachments are mostly compressed data in base64, which
// LZ4 does not shrink): compressing 50 MB to keep them as they are would
// cost a 50 MB buffer and the CPU for nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/bytes.h"
#include "util/result.h"

namespace store {

class PackedBlob {
 public:
  PackedBlob() = default;

  // Thread-safe. A value kept as it is shares `bytes` (raw mail).
  static PackedBlob PackShared(const util::Bytes& bytes);
  // Thread-safe. Copies what it keeps (small values: message text).
  static PackedBlob Pack(std::string_view bytes) {
    return PackShared(util::Bytes(std::string(bytes)));
  }

  // What the database holds: head() followed by body().
  std::string_view head() const { return head_; }
  std::string_view body() const { return body_.view(); }
  // head() + body() in one string (a copy: small values, tests).
  std::string stored() const;
  std::uint64_t stored_size() const { return head_.size() + body_.size(); }
  // How many bytes Unpack gives back.
  std::uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool compressed() const;

 private:
  std::string head_;  // the format byte, and for LZ4 the original size
  util::Bytes body_;  // the payload: the caller's bytes, or the LZ4 block
  std::uint64_t size_ = 0;
};

// The bytes of a stored value. kCorruption for an unknown format byte or a
// block that does not decode to the size in its header.
util::Result<std::string> Unpack(std::string_view stored);

}  // namespace store
