#include "mime/message.h"

#include <strings.h>

namespace mime {

const char* ClassificationName(Classification c) {
  switch (c) {
    case Classification::kNormal:
      return "normal";
    case Classification::kAutoReply:
      return "auto-reply";
    case Classification::kBounce:
      return "bounce";
    case Classification::kBulk:
      return "bulk";
  }
  return "unknown";
}

const std::string* Message::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), name.size()) == 0) return &v;
  }
  return nullptr;
}

}  // namespace mime
