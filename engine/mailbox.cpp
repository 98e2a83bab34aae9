#include "engine/mailbox.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace engine {
namespace {

namespace fs = std::filesystem;
using util::Code;

// `size_hint`: the size stat reported (0 when unknown), reserved up front.
util::Status ReadFileInto(const fs::path& p, std::uintmax_t size_hint, std::string& out) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (f == nullptr) {
    return util::Error(Code::kIOError, p.string() + ": " + std::strerror(errno));
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> guard(f, &std::fclose);
  out.clear();
  out.reserve(size_hint);
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  if (std::ferror(f)) {
    return util::Error(Code::kIOError, p.string() + ": read error: " + std::strerror(errno));
  }
  return {};
}

// Files from this size on are mapped rather than read: their pages are the
// page cache's, so a 50 MB message costs no anonymous memory, and nothing
// is copied. Smaller ones are read (a mapping per small file costs more
// than the copy). Maildir and .eml files are not rewritten in place, so a
// mapping does not see them truncated.
constexpr std::uintmax_t kMapFrom = 1 << 20;

util::Status ReadWholeFile(const fs::path& p, util::Bytes& bytes) {
  std::error_code size_ec;
  const std::uintmax_t file_size = fs::file_size(p, size_ec);
  if (!size_ec && file_size >= kMapFrom) {
    auto mapped = util::Bytes::MapFile(p.string());
    if (!mapped.ok()) return mapped.status();
    bytes = std::move(mapped).value();
    return {};
  }
  std::string out;
  util::Status s = ReadFileInto(p, size_ec ? 0 : file_size, out);
  if (s.ok()) bytes = std::move(out);
  return s;
}

// Message files by name, held compactly: 100,000 std::filesystem::paths
// (each with its parsed components on the heap) took about 45 MB, which a
// replay then held to its end; here a name costs its bytes and 16 more.
class FileList {
 public:
  std::size_t AddDir(std::string dir) {
    dirs_.push_back(std::move(dir));
    return dirs_.size() - 1;
  }
  void Add(std::size_t dir, std::string_view name) {
    entries_.push_back(
        {names_.size(), static_cast<std::uint32_t>(name.size()), static_cast<std::uint32_t>(dir)});
    names_.append(name);
  }
  // Maildir names start with the delivery time: name order is arrival order.
  void SortByName() {
    std::sort(entries_.begin(), entries_.end(),
              [this](const Entry& x, const Entry& y) { return Name(x) < Name(y); });
  }
  std::size_t size() const { return entries_.size(); }
  // "DIR/NAME", or NAME alone for a file given by its path (dir "").
  std::string Path(std::size_t i) const {
    const Entry& e = entries_[i];
    const std::string& dir = dirs_[e.dir];
    return dir.empty() ? std::string(Name(e)) : (fs::path(dir) / Name(e)).string();
  }

 private:
  struct Entry {
    std::uint64_t offset;
    std::uint32_t length;
    std::uint32_t dir;
  };
  std::string_view Name(const Entry& e) const {
    return std::string_view(names_).substr(e.offset, e.length);
  }
  std::vector<std::string> dirs_;
  std::string names_;
  std::vector<Entry> entries_;
};

// A list of message files read in order: Maildir, .eml directory, one file.
class FileListReader : public MailboxReader {
 public:
  FileListReader(FileList files, MailboxFormat format)
      : files_(std::move(files)), format_(format) {}
  bool Next(MailboxItem& item) override {
    if (next_ >= files_.size()) return false;
    item.name = files_.Path(next_++);
    item.bytes = util::Bytes();  // set again only when the file is read
    item.error = ReadWholeFile(item.name, item.bytes);
    return true;
  }
  std::optional<std::size_t> Count() const override { return files_.size(); }
  MailboxFormat format() const override { return format_; }

 private:
  FileList files_;
  std::size_t next_ = 0;
  MailboxFormat format_;
};

class MboxReader : public MailboxReader {
 public:
  MboxReader(std::string path, std::FILE* f) : path_(std::move(path)), f_(f, &std::fclose) {}
  ~MboxReader() override { std::free(buf_); }
  MboxReader(const MboxReader&) = delete;
  MboxReader& operator=(const MboxReader&) = delete;
  bool Next(MailboxItem& item) override {
    if (done_) return false;
    std::string message;
    // `pending_` holds a "From " separator read at the end of the last call.
    bool have_separator = !pending_.empty();
    pending_.clear();
    std::string line;
    while (ReadLine(line)) {
      if (line.rfind("From ", 0) == 0) {
        if (!have_separator && message.empty()) {  // the file's first separator
          have_separator = true;
          continue;
        }
        pending_ = line;
        break;
      }
      message += line;
    }
    if (pending_.empty()) done_ = true;
    if (!have_separator && message.empty()) return false;
    // The line break before a separator belongs to the mbox, not the message.
    if (EndsWith(message, "\r\n\r\n")) {
      message.resize(message.size() - 2);
    } else if (EndsWith(message, "\n\n")) {
      message.pop_back();
    }
    ++index_;
    item.name = path_ + "#" + std::to_string(index_);
    item.error = {};
    if (std::ferror(f_.get())) {
      item.error = util::Error(Code::kIOError, item.name + ": read error");
      done_ = true;
    }
    item.bytes = MboxrdUnescape(message);
    return true;
  }
  MailboxFormat format() const override { return MailboxFormat::kMbox; }

 private:
  bool ReadLine(std::string& line) {
    ssize_t n = ::getline(&buf_, &cap_, f_.get());
    if (n <= 0) return false;
    line.assign(buf_, static_cast<std::size_t>(n));
    return true;
  }
  static bool EndsWith(const std::string& s, std::string_view tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  }

  std::string path_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f_;
  // getline(3)'s buffer, reused across lines; freed with free(3).
  char* buf_ = nullptr;
  std::size_t cap_ = 0;
  std::string pending_;
  std::size_t index_ = 0;
  bool done_ = false;
};

FileList SortedFiles(const std::vector<fs::path>& dirs, std::error_code& ec) {
  FileList files;
  for (const auto& d : dirs) {
    if (!fs::is_directory(d)) continue;
    const std::size_t dir = files.AddDir(d.string());
    for (auto it = fs::directory_iterator(d, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.') continue;  // .keep, editor files
      if (it->is_regular_file(ec)) files.Add(dir, name);
    }
    if (ec) return {};
  }
  files.SortByName();
  return files;
}

}  // namespace

const char* MailboxFormatName(MailboxFormat f) {
  switch (f) {
    case MailboxFormat::kMaildir:
      return "Maildir";
    case MailboxFormat::kEmlDir:
      return "directory of .eml files";
    case MailboxFormat::kMbox:
      return "mbox";
    case MailboxFormat::kMessageFile:
      return "message file";
  }
  return "?";
}

std::string MboxrdUnescape(std::string_view m) {
  std::string out;
  out.reserve(m.size());
  std::size_t pos = 0;
  while (pos < m.size()) {
    std::size_t eol = m.find('\n', pos);
    std::size_t end = eol == std::string_view::npos ? m.size() : eol + 1;
    std::string_view line = m.substr(pos, end - pos);
    std::size_t gt = 0;
    while (gt < line.size() && line[gt] == '>') ++gt;
    if (gt > 0 && line.substr(gt, 5) == "From ") line.remove_prefix(1);
    out.append(line);
    pos = end;
  }
  return out;
}

util::Result<std::unique_ptr<MailboxReader>> OpenMailbox(const std::string& path) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    return util::Error(Code::kNotFound, path + ": no such file or directory");
  }
  if (fs::is_directory(st)) {
    fs::path dir(path);
    bool maildir = fs::is_directory(dir / "cur") || fs::is_directory(dir / "new");
    auto files = maildir ? SortedFiles({dir / "cur", dir / "new"}, ec) : SortedFiles({dir}, ec);
    if (ec) return util::Error(Code::kIOError, path + ": " + ec.message());
    return std::unique_ptr<MailboxReader>(std::make_unique<FileListReader>(
        std::move(files), maildir ? MailboxFormat::kMaildir : MailboxFormat::kEmlDir));
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return util::Error(Code::kIOError, path + ": " + std::strerror(errno));
  char head[5] = {};
  std::size_t n = std::fread(head, 1, sizeof head, f);
  if (n == 5 && std::memcmp(head, "From ", 5) == 0) {
    std::rewind(f);
    return std::unique_ptr<MailboxReader>(std::make_unique<MboxReader>(path, f));
  }
  std::fclose(f);
  FileList one;
  one.Add(one.AddDir(std::string()), path);
  return std::unique_ptr<MailboxReader>(
      std::make_unique<FileListReader>(std::move(one), MailboxFormat::kMessageFile));
}

}  // namespace engine
