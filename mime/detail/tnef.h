// Outlook TNEF (winmail.dat, application/ms-tnef) decoding through libytnef.
// Internal to mime/: the walker turns the result into Message fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mime::detail {

struct TnefFile {
  std::string filename;      // UTF-8; may be empty
  std::string content_type;  // PR_ATTACH_MIME_TAG lower case, else application/octet-stream
  std::string data;
};

struct TnefContents {
  std::string body_text;  // PR_BODY / attBody, else text of PR_BODY_HTML; UTF-8
  std::vector<TnefFile> files;
};

// Decodes a TNEF stream. False when `bytes` is not TNEF or is too damaged to
// yield anything (the caller then keeps the part as an opaque attachment).
// Thread-safe (libytnef keeps no global state).
bool DecodeTnef(std::string_view bytes, TnefContents* out);

}  // namespace mime::detail
