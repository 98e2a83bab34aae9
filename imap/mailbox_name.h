// Mailbox names on the wire use "modified UTF-7" (RFC 3501 section 5.1.3);
// the rest of deskmail speaks UTF-8. Pure functions, tested from bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imap {

// UTF-8 -> modified UTF-7. nullopt if `utf8` is not valid UTF-8.
std::optional<std::string> EncodeMailboxName(std::string_view utf8);

// Modified UTF-7 -> UTF-8. nullopt on malformed input (bad base64, padding
// bits set, unpaired surrogate, unterminated "&...", or a "&...-" run that
// encodes only printable ASCII, which the RFC forbids).
std::optional<std::string> DecodeMailboxName(std::string_view mutf7);

}  // namespace imap
