// Readers for mail on disk: Maildir, mbox (mboxrd un-escaping), a directory
// of .eml files, or one message file. Messages are read one at a time, so
// memory does not grow with the mailbox.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "util/bytes.h"
#include "util/result.h"

namespace engine {

enum class MailboxFormat { kMaildir, kEmlDir, kMbox, kMessageFile };
const char* MailboxFormatName(MailboxFormat f);

struct MailboxItem {
  std::string name;    // file path, or "PATH#N" for the Nth message of an mbox
  util::Bytes bytes;   // the message, un-escaped (a large file is mapped, not read)
  util::Status error;  // set when the item could not be read (bytes empty)
};

class MailboxReader {
 public:
  virtual ~MailboxReader() = default;
  // Fills `item` with the next message; false at the end.
  virtual bool Next(MailboxItem& item) = 0;
  // Messages in the mailbox when cheaply known (directory formats), for progress.
  virtual std::optional<std::size_t> Count() const { return std::nullopt; }
  virtual MailboxFormat format() const = 0;
};

// Detects the format: a directory with cur/ or new/ is a Maildir, another
// directory is read as .eml files (sorted by name); a file whose first line
// starts with "From " is an mbox, any other file one message.
// kNotFound / kIOError name the path.
util::Result<std::unique_ptr<MailboxReader>> OpenMailbox(const std::string& path);

// mboxrd: ">From " lines lose one '>' (">>From " -> ">From ").
// Exposed for tests.
std::string MboxrdUnescape(std::string_view message);

}  // namespace engine
