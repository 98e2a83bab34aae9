#include "recovery/ticket_tag.h"

#include <charconv>

namespace recovery {

util::Result<TicketTag> TicketTag::FromPattern(std::string_view pattern) {
  constexpr std::string_view kId = "{id}";
  auto pos = pattern.find(kId);
  if (pos == std::string_view::npos || pattern.find(kId, pos + 1) != std::string_view::npos) {
    return util::Error(util::Code::kInvalidArgument, "ticket_tag \"" + std::string(pattern) +
                                                         "\" must contain {id} exactly once");
  }
  std::string prefix(pattern.substr(0, pos));
  std::string suffix(pattern.substr(pos + kId.size()));
  if (prefix.empty()) {
    return util::Error(util::Code::kInvalidArgument,
                       "ticket_tag \"" + std::string(pattern) + "\" needs text before {id}");
  }
  return TicketTag(std::move(prefix), std::move(suffix));
}

std::optional<std::uint64_t> TicketTag::Find(std::string_view subject) const {
  for (std::size_t at = subject.find(prefix_); at != std::string_view::npos;
       at = subject.find(prefix_, at + 1)) {
    std::size_t digits = at + prefix_.size();
    std::size_t end = digits;
    while (end < subject.size() && subject[end] >= '0' && subject[end] <= '9') ++end;
    if (end == digits || end - digits > 18) continue;
    if (subject.substr(end, suffix_.size()) != suffix_) continue;
    std::uint64_t id = 0;
    std::from_chars(subject.data() + digits, subject.data() + end, id);
    if (id != 0) return id;
  }
  return std::nullopt;
}

std::string TicketTag::Format(std::uint64_t id) const {
  return prefix_ + std::to_string(id) + suffix_;
}

std::optional<std::uint64_t> TaggedTicket(store::ReadTxn& txn, const TicketTag& tag,
                                          std::string_view subject, const std::string& account) {
  auto id = tag.Find(subject);
  if (!id) return std::nullopt;
  auto ticket = txn.GetTicket(*id);
  if (!ticket || ticket->account != account) return std::nullopt;
  return id;
}

bool IsParticipant(store::ReadTxn& txn, const store::TicketRecord& ticket,
                   const std::string& address) {
  if (address.empty()) return false;
  if (ticket.requester_address == address) return true;
  for (std::uint64_t id : ticket.message_ids) {
    auto m = txn.GetMessageHead(id);
    if (!m) continue;
    if (m->from_address == address) return true;
    for (const auto* list : {&m->to, &m->cc}) {
      for (const auto& a : *list) {
        if (a == address) return true;
      }
    }
  }
  return false;
}

}  // namespace recovery
