// Attachments that hold a whole message without being typed message/rfc822:
// an .eml sent as application/octet-stream or text/plain, an Outlook .msg.
// The MIME walker (parts.cpp) keeps their bytes in Message::attached_items;
// the forward unwrapper reads them. Internal to mime/.
#pragma once

#include <optional>
#include <string_view>

#include "mime/message.h"

namespace mime::detail {

enum class ItemKind { kNone, kEml, kMsg };

// Larger attachments are never taken for a message.
constexpr std::size_t kMaxAttachedItemBytes = 64 << 20;
// SniffAttachedItem decides from at most this many leading bytes (and the
// size): a prefix of this length sniffs the same as the whole.
constexpr std::size_t kSniffBytes = 64 << 10;

// What the attachment holds, from its type, its file name and its bytes:
//  - kMsg: a CFB/OLE2 file typed application/vnd.ms-outlook (or x-msg), or
//    named *.msg, or an unnamed application/octet-stream;
//  - kEml: named *.eml with an RFC 5322 header block at the top, or an
//    application/octet-stream or text/plain part whose bytes start with a
//    header block carrying From and Date or Subject.
ItemKind SniffAttachedItem(std::string_view content_type, std::string_view filename,
                           std::string_view bytes);

// The first message attached to `m`: message/rfc822 parts first, then the
// sniffed items in attachment order; parsed. nullopt when none parses.
std::optional<Message> AttachedOriginal(const Message& m);

}  // namespace mime::detail
