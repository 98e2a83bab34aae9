// Address lists as mail clients print them in forwarded header blocks:
// "Name <a@x>", "\"Doe, John\" <a@x>", "Name [mailto:a@x]",
// "Name<mailto:a@x> <a@x<mailto:a@x>>", "a@x", "<a@x>", "John, Doe <a@x>",
// names without addresses, "... on behalf of ...".
#pragma once

#include <string_view>
#include <vector>

#include "mime/message.h"

namespace mime::detail {

// Entries in order; an entry without address keeps only its name. A name
// equal to its address is dropped.
std::vector<Address> ParseAddressList(std::string_view value);

}  // namespace mime::detail
