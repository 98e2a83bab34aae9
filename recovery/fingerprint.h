// A content fingerprint that survives a manual forward: the same sender,
// subject and body text give the same value even when a mail client
// re-wrapped lines, changed whitespace or quoted the body. The message date
// is not part of it: matches are confirmed by date (within 2 minutes).
#pragma once

#include <string>
#include <string_view>

namespace recovery {

// Hex SHA-256 of the normalised (sender, subject, body); "" when the sender
// is empty (nothing to match on).
std::string Fingerprint(std::string_view from_address, std::string_view subject,
                        std::string_view body_text);

}  // namespace recovery
