// The ticket tag written into subjects, "[#123]" by default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace recovery
