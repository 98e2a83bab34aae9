#include "engine/source.h"

#include <iterator>

namespace engine {

MailboxSource::MailboxSource(std::unique_ptr<MailboxReader> reader)
    : owned_(std::move(reader)), reader_(owned_.get()) {}

std::optional<std::uint64_t> MailboxSource::Count() const {
  auto n = reader_->Count();
  if (!n) return std::nullopt;
  return *n > taken_ ? *n - taken_ : 0;
}

util::Result<SourceBatch> MailboxSource::Next(std::size_t max_count, std::uint64_t max_bytes,
                                              bool at_least_one) {
  SourceBatch b;
  std::uint64_t bytes = 0;
  while (b.messages.size() < std::max<std::size_t>(max_count, 1)) {
    if (!ahead_) {
      MailboxItem item;
      if (!reader_->Next(item)) {
        b.end = true;
        break;
      }
      ahead_ = std::move(item);
    }
    const std::uint64_t size = ahead_->bytes.size();
    const bool alone = b.messages.empty() && at_least_one;
    if (bytes + size > max_bytes && !alone) break;
    bytes += size;
    SourceMessage m;
    m.name = std::move(ahead_->name);
    m.raw = std::move(ahead_->bytes);
    m.error = std::move(ahead_->error);
    ahead_.reset();
    ++taken_;
    b.messages.push_back(std::move(m));
  }
  b.cursor = b.messages.empty() ? 0 : taken_;
  return b;
}

util::Result<SourceBatch> StreamSource::Next(std::size_t /*max_count*/, std::uint64_t max_bytes,
                                             bool at_least_one) {
  SourceBatch b;
  b.end = done_;
  if (done_ || (!at_least_one && max_bytes == 0)) return b;
  done_ = true;
  SourceMessage m;
  m.name = name_;
  std::string raw;
  char buf[1 << 16];
  while (in_.read(buf, sizeof buf) || in_.gcount() > 0) {
    raw.append(buf, static_cast<std::size_t>(in_.gcount()));
    if (max_bytes_ > 0 && static_cast<std::int64_t>(raw.size()) > max_bytes_) {
      std::string().swap(raw);
      m.error = util::Error(util::Code::kInvalidArgument,
                            name_ + ": the message is larger than intake.max_message_mib (" +
                                std::to_string(max_bytes_ >> 20) +
                                " MiB): not stored; raise the limit or have the MTA bounce it");
      break;
    }
  }
  if (m.error.ok() && in_.bad())
    m.error = util::Error(util::Code::kIOError, name_ + ": read failed");
  m.raw = std::move(raw);
  b.messages.push_back(std::move(m));
  b.cursor = 1;
  b.end = true;
  return b;
}

}  // namespace engine
