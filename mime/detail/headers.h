// Header extraction from a parsed GMimeMessage. Internal to mime/.
#pragma once

#include <gmime/gmime.h>

#include "mime/message.h"

namespace mime::detail {

// Number of header fields at the top level (message and top MIME part).
int TopLevelHeaderCount(GMimeMessage* m);

// Copies the top-level header fields into out->headers in stream order, with
// values unfolded. 8-bit bytes are decoded to UTF-8 through the fallback
// charsets of `opts`; RFC 2047 words are left as they are.
void CollectRawHeaders(GMimeMessage* m, GMimeParserOptions* opts, Message* out);

// RFC 2047 decoding of unstructured text (Subject), to UTF-8. Exposed for tests.
std::string DecodeUnstructured(std::string_view raw);

// Fills the decoded fields (from, to, cc, reply_to, subject, date,
// message_id, in_reply_to, references, return_path) from out->headers, and
// notes missing or unparseable ones in out->parse_errors.
void DecodeHeaders(GMimeParserOptions* opts, Message* out);

}  // namespace mime::detail
