// util::Bytes: immutable bytes shared by reference. A message is read or
// fetched once and then only looked at: parsed in place, hashed, packed or
// handed to the store as it is. Copies of a Bytes share one buffer, so the
// stages of the pipeline never hold two copies of a message.
//
// The buffer is either owned memory (a message fetched over IMAP, a small
// file, an LZ4 block) or a file mapped read-only (a large message file, or
// a large message spooled to an unlinked temporary file): mapped bytes are
// file pages the kernel can drop and read back, not the process's
// anonymous memory, which is how a 50 MB message passes in bounded memory.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace util {

class Bytes {
 public:
  Bytes() = default;
  // Owned; implicit, so a std::string can be handed where Bytes are taken.
  Bytes(std::string s);  // NOLINT(google-explicit-constructor)
  // Owned `size` bytes of `data` (the rest of its allocation, if any, is
  // never touched: pages not written are not resident).
  static Bytes Adopt(std::unique_ptr<char[]> data, std::size_t size);
  // `path` mapped read-only (private); an empty file gives empty Bytes.
  // The file must not be truncated while mapped (message files are not).
  static Result<Bytes> MapFile(const std::string& path);
  // Mapped from an open descriptor (dup'ed; the caller keeps its own).
  static Result<Bytes> MapFd(int fd, std::size_t size, const std::string& label);

  std::string_view view() const { return h_ ? h_->view : std::string_view(); }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  const char* data() const { return view().data(); }
  std::size_t size() const { return view().size(); }
  bool empty() const { return size() == 0; }
  bool mapped() const { return h_ && h_->mapped; }
  std::string str() const { return std::string(view()); }

  struct Holder {
    virtual ~Holder() = default;
    std::string_view view;
    bool mapped = false;
  };

 private:
  explicit Bytes(std::shared_ptr<const Holder> h) : h_(std::move(h)) {}
  std::shared_ptr<const Holder> h_;
};

// Appends to an unlinked temporary file (O_TMPFILE in `dir`, else a
// mkstemp name removed at once), then maps what was written: for a message
// too large to hold in anonymous memory while it is fetched and stored.
// Nothing is left on disk after a crash: the file has no name.
class Spool {
 public:
  static Result<Spool> Open(const std::string& dir);
  Spool(Spool&&) noexcept;
  Spool& operator=(Spool&&) noexcept;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool();

  Status Append(std::string_view bytes);
  std::size_t size() const { return size_; }
  // The bytes written, mapped; the spool is spent afterwards.
  Result<Bytes> Finish();

 private:
  Spool(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}
  int fd_ = -1;
  std::string dir_;
  std::size_t size_ = 0;
};

}  // namespace util
