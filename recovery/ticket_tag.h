// The ticket tag written into subjects, "[#123]" by default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"
#include "util/result.h"

namespace recovery {

class TicketTag {
 public:
  // `pattern` holds "{id}" once, e.g. "[#{id}]" or "[ACME-{id}]".
  static util::Result<TicketTag> FromPattern(std::string_view pattern);
  TicketTag() : prefix_("[#"), suffix_("]") {}

  // The first tag in `subject` with a decimal id, or nullopt.
  std::optional<std::uint64_t> Find(std::string_view subject) const;
  std::string Format(std::uint64_t id) const;

 private:
  TicketTag(std::string prefix, std::string suffix)
      : prefix_(std::move(prefix)), suffix_(std::move(suffix)) {}
  std::string prefix_;
  std::string suffix_;
};

// The ticket `subject`'s tag names, when it exists and belongs to
// `account`. A tag is text anyone can type: a tag naming another account's
// ticket is ignored (mail to one support address must never land on
// another's ticket), as is one naming no ticket.
std::optional<std::uint64_t> TaggedTicket(store::ReadTxn& txn, const TicketTag& tag,
                                          std::string_view subject, const std::string& account);

// Whether `address` (lower-cased) is already on `ticket`: its requester,
// or the sender, a To or a Cc of one of its messages. Mail threaded by tag
// from anyone else is flagged (kTagFromNonParticipant in the message's reason).
bool IsParticipant(store::ReadTxn& txn, const store::TicketRecord& ticket,
                   const std::string& address);
inline constexpr const char* kTagFromNonParticipant =
    "threaded by ticket tag from a sender who is not a participant of the ticket";

}  // namespace recovery
