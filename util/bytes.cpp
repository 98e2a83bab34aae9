#include "util/bytes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace util {
namespace {

struct StringHolder : Bytes::Holder {
  explicit StringHolder(std::string s) : bytes(std::move(s)) { view = bytes; }
  std::string bytes;
};

struct BufferHolder : Bytes::Holder {
  BufferHolder(std::unique_ptr<char[]> d, std::size_t n) : data(std::move(d)) {
    view = std::string_view(data.get(), n);
  }
  std::unique_ptr<char[]> data;
};

struct MapHolder : Bytes::Holder {
  MapHolder(void* a, std::size_t n) : addr(a), len(n) {
    view = std::string_view(static_cast<const char*>(a), n);
    mapped = true;
  }
  ~MapHolder() override { ::munmap(addr, len); }
  MapHolder(const MapHolder&) = delete;
  MapHolder& operator=(const MapHolder&) = delete;
  void* addr;
  std::size_t len;
};

Status Errno(const std::string& what) {
  const char* why = errno == ENOSPC ? "disk full (no space left on device)" : std::strerror(errno);
  return Error(Code::kIOError, what + ": " + why);
}

}  // namespace

Bytes::Bytes(std::string s) {
  if (!s.empty()) h_ = std::make_shared<const StringHolder>(std::move(s));
}

Bytes Bytes::Adopt(std::unique_ptr<char[]> data, std::size_t size) {
  if (size == 0) return Bytes();
  return Bytes(std::make_shared<const BufferHolder>(std::move(data), size));
}

Result<Bytes> Bytes::MapFd(int fd, std::size_t size, const std::string& label) {
  if (size == 0) return Bytes();
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (addr == MAP_FAILED) return Errno(label + ": mmap");
  // Read front to back, once (parse, digest, then the store's copy).
  (void)::madvise(addr, size, MADV_SEQUENTIAL);
  return Bytes(std::make_shared<const MapHolder>(addr, size));
}

Result<Bytes> Bytes::MapFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = Errno(path);
    ::close(fd);
    return s;
  }
  // The mapping keeps the file's pages; the descriptor is not needed.
  auto mapped = MapFd(fd, static_cast<std::size_t>(st.st_size), path);
  ::close(fd);
  return mapped;
}

Result<Spool> Spool::Open(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // A filesystem without O_TMPFILE: a named file, unlinked at once.
    std::string name = dir + "/.deskmail-spool-XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) return Errno("spool in " + dir);
  return Spool(fd, dir);
}

Spool::Spool(Spool&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), dir_(std::move(o.dir_)), size_(std::exchange(o.size_, 0)) {}

Spool& Spool::operator=(Spool&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    dir_ = std::move(o.dir_);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

Status Spool::Append(std::string_view bytes) {
  if (fd_ < 0) return Error(Code::kInternal, "spool already finished");
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("spool in " + dir_);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    size_ += static_cast<std::size_t>(n);
  }
  return {};
}

Result<Bytes> Spool::Finish() {
  if (fd_ < 0) return Error(Code::kInternal, "spool already finished");
  auto mapped = Bytes::MapFd(fd_, size_, "spool in " + dir_);
  ::close(fd_);
  fd_ = -1;
  return mapped;
}

}  // namespace util
