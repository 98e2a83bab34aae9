// store::Verify: a consistency check of a whole store, for `deskmail
// verify`. Read-only, in one read transaction (a snapshot): safe beside a
// running `deskmail run`, which it neither blocks nor sees half-way.
//
// What is checked (each finding names its check, as listed here):
//   record      every record of every database decodes, its key matches
//               the id inside it, and every 8-byte key/value is 8 bytes.
//   source      source_index -> message and back: each entry names a message
//               whose (account, source_key) folds to the entry's key, and
//               each message's source key is indexed (unless it is a replay
//               content key of mail with a Message-ID: WriteTxn::SourceIndex).
//   msgid       msgid_index and fingerprint_index -> message and back.
//   ticket      ticket -> messages and back: every message a ticket lists
//               exists and names that ticket, every message with a ticket
//               is listed by it, and no message is on two tickets.
//   body        every stored body belongs to a message and unpacks.
//   raw         raw_index -> raw_blobs: every blob unpacks to bytes whose
//               SHA-256 is its key; every blob is indexed; every message's
//               raw_sha256 is stored; every stored raw is some message's.
//   sync        every stored IMAP message is covered by its folder's
//               checkpoint (same UIDVALIDITY, UID <= last_uid): a message
//               beyond it means the checkpoint and the messages it covers
//               were not written together. (A checkpoint beyond every stored
//               UID is not a finding: the last UIDs of a batch may have been
//               duplicates, which store nothing.)
//   counter     the meta counters are above every id in use.
//   secret      every sealed secret opens with the master key (only when one
//               is given: otherwise the report says "not checked").
//   reference   outages and intake log entries name tickets/messages that exist.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "store/secret_box.h"
#include "store/store.h"

namespace store {

struct VerifyFinding {
  std::string check;  // "record", "source", "msgid", "ticket", ...
  std::string where;  // database/key, e.g. "tickets/17"
  std::string what;   // one line

  friend bool operator==(const VerifyFinding&, const VerifyFinding&) = default;
};

struct VerifyReport {
  // Entries seen per database ("messages", "tickets", "raw_blobs", ...).
  std::map<std::string, std::uint64_t> counts;
  std::vector<VerifyFinding> findings;
  // How many were not kept (beyond VerifyOptions::max_findings).
  std::uint64_t findings_dropped = 0;
  // "checked: N opened" or "not checked: <why>".
  std::string secrets;

  bool consistent() const { return findings.empty() && findings_dropped == 0; }
};

struct VerifyOptions {
  // When set, every sealed secret is opened with it.
  const SecretBox* secrets = nullptr;
  std::string secrets_not_checked_why = "no master key available";
  std::size_t max_findings = 1000;
};

// Runs every check above in one read transaction of `st`. The error is
// only for an LMDB failure that stopped the walk; damage is in the report.
util::Result<VerifyReport> Verify(Store& st, const VerifyOptions& opts = {});

}  // namespace store
