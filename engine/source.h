// engine::MessageSource: where mail comes from, in the spirit of isync's
// drivers. An IMAP folder (engine/sync.h), a Maildir, an mbox, a directory
// of .eml files, one message file, or a stream (the intake's stdin) all
// yield the same thing: (source key, raw bytes, arrival time), in batches,
// for the one pipeline (engine/pipeline.h) to prepare and commit.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/mailbox.h"
#include "store/store.h"
#include "util/bytes.h"
#include "util/result.h"

namespace engine {

struct SourceMessage {
  // store::MessageRecord::source_key; empty: recovery::Prepare makes a
  // content key (same bytes, same key).
  std::string key;
  std::string name;          // for people: a file path, "stdin", "INBOX UID 42"
  util::Bytes raw;           // moved out by the pipeline's prepare stage
  std::int64_t arrival = 0;  // Unix seconds the mail arrived (INTERNALDATE); 0 = unknown
  std::uint32_t uid = 0;     // IMAP: for the after-commit action
  util::Status error;        // could not be read: not filed, reported by name
};

struct SourceBatch {
  std::vector<SourceMessage> messages;
  // Where the source stands once this batch is committed (IMAP: the last
  // UID asked for, which the checkpoint records even when the message was
  // expunged meanwhile). Meaning is the source's own.
  std::uint64_t cursor = 0;
  bool end = false;  // the source has nothing after this batch
};

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // The next batch: at most `max_count` messages and `max_bytes` bytes,
  // except that with `at_least_one` a message larger than max_bytes comes
  // alone. An empty batch without `end`: the next message does not fit.
  virtual util::Result<SourceBatch> Next(std::size_t max_count, std::uint64_t max_bytes,
                                         bool at_least_one) = 0;
  // Messages left to come, when cheaply known (for progress).
  virtual std::optional<std::uint64_t> Count() const { return std::nullopt; }
  // Runs last in the write transaction that commits `batch` (the folder
  // checkpoint), on the writer thread: must not touch a connection.
  virtual util::Status InCommit(store::WriteTxn& /*txn*/, const SourceBatch& /*batch*/) {
    return util::Status::Ok();
  }
  // After `batch` is committed (the account's post_action), on the thread
  // that runs the pipeline.
  virtual util::Status AfterCommit(const SourceBatch& /*batch*/) { return util::Status::Ok(); }
  // True when AfterCommit acts: then no batch commits behind one whose
  // action has not run (a failed action would leave it without its own).
  virtual bool acts_after_commit() const { return false; }
};

// A mailbox on disk (engine/mailbox.h). Reads one message ahead so that a
// batch never takes a message that does not fit.
class MailboxSource : public MessageSource {
 public:
  explicit MailboxSource(std::unique_ptr<MailboxReader> reader);
  // Borrows `reader`, which must outlive the source.
  explicit MailboxSource(MailboxReader& reader) : reader_(&reader) {}
  util::Result<SourceBatch> Next(std::size_t max_count, std::uint64_t max_bytes,
                                 bool at_least_one) override;
  std::optional<std::uint64_t> Count() const override;
  MailboxFormat format() const { return reader_->format(); }

 private:
  std::unique_ptr<MailboxReader> owned_;
  MailboxReader* reader_;
  std::optional<MailboxItem> ahead_;
  std::uint64_t taken_ = 0;
};

// One message read whole from a stream: an MTA pipe delivering to the intake.
class StreamSource : public MessageSource {
 public:
  // `max_bytes` > 0: a longer message is refused (kInvalidArgument)
  // (read up to the cap, then dropped), never held whole.
  StreamSource(std::istream& in, std::string name, std::int64_t max_bytes = 0)
      : in_(in), name_(std::move(name)), max_bytes_(max_bytes) {}
  util::Result<SourceBatch> Next(std::size_t max_count, std::uint64_t max_bytes,
                                 bool at_least_one) override;

 private:
  std::istream& in_;
  std::string name_;
  std::int64_t max_bytes_ = 0;
  bool done_ = false;
};

}  // namespace engine
