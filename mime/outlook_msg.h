// Outlook .msg items (MS-OXMSG): a CFB/OLE2 compound file whose streams hold
// MAPI properties. Read through libgsf into a mime::Message so an attached
// .msg unwraps like a message/rfc822 part. No libgsf type appears here.
#pragma once

#include <cstddef>
#include <string_view>

#include "mime/message.h"
#include "util/result.h"

namespace mime {

// Limits against hostile input.
struct MsgLimits {
  std::size_t max_input_bytes = 64 << 20;
  std::size_t max_stream_bytes = 32 << 20;  // one property stream (body, attachment data)
  std::size_t max_total_bytes = 96 << 20;   // all streams read together
  std::size_t max_recipients = 4096;
  std::size_t max_attachments = 1024;
};

// True when `bytes` start with the CFB signature D0 CF 11 E0 A1 B1 1A E1.
bool LooksLikeCfb(std::string_view bytes);

// The message in an Outlook .msg file: sender (PR_SENT_REPRESENTING_* /
// PR_SENDER_*, SMTP address preferred over an Exchange DN), To/Cc from the
// recipient storages (PR_DISPLAY_TO/CC when there are none), subject, date
// (PR_CLIENT_SUBMIT_TIME, else PR_MESSAGE_DELIVERY_TIME, else the Date of
// PR_TRANSPORT_MESSAGE_HEADERS), Message-ID, body (PR_BODY, else the text of
// PR_HTML) and attachments (name, MIME tag, size and SHA-256 of the data).
// Strings: PT_UNICODE (UTF-16LE) or PT_STRING8 in the item's code page.
// kInvalidArgument when the bytes are not a CFB file or hold no message
// properties. Thread-safe.
util::Result<Message> ParseOutlookMsg(std::string_view bytes, const MsgLimits& limits = {});

}  // namespace mime
