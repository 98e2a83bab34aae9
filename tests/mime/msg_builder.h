// Writes Outlook .msg files (MS-OXMSG) with libgsf's OLE2 writer, for tests,
// the fuzz seeds and fixtures/intake/msg/. Layout, per MS-OXMSG 2.1-2.4:
//  - top-level storage: "__properties_version1.0" (32-byte header: 8
//    reserved, next recipient id, next attachment id, recipient count,
//    attachment count, 8 reserved; then 16-byte entries), one
//    "__substg1.0_IIIITTTT" stream per variable-length property, the
//    "__nameid_version1.0" storage;
//  - "__recip_version1.0_#XXXXXXXX" and "__attach_version1.0_#XXXXXXXX"
//    storages, each with an 8-byte-header property stream.
// Variable-length entries hold the stream size (strings: with their
// terminating NUL) and flags 0x6 (readable, writable).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace msgtest {

struct Recipient {
  Recipient(std::string n, std::string e, int t = 1, std::string at = "SMTP", std::string s = "")
      : name(std::move(n)),
        email(std::move(e)),
        type(t),
        addrtype(std::move(at)),
        smtp(std::move(s)) {}
  std::string name, email;
  int type;  // 1 To, 2 Cc, 3 Bcc
  std::string addrtype;
  std::string smtp;  // PR_SMTP_ADDRESS, for Exchange ("EX") recipients
};

struct Attachment {
  Attachment(std::string f, std::string m, std::string d)
      : filename(std::move(f)), mime_tag(std::move(m)), data(std::move(d)) {}
  std::string filename, mime_tag, data;
};

struct MsgSpec {
  std::string subject;
  std::string sender_name, sender_email, sender_addrtype = "SMTP", sender_smtp;
  std::string representing_name, representing_email;
  std::vector<Recipient> recipients;
  std::string display_to, display_cc;
  std::optional<std::int64_t> submit_time, delivery_time;  // Unix seconds
  std::string body, html, message_id, transport_headers;
  std::vector<Attachment> attachments;
  bool unicode = true;  // PT_UNICODE (001F) strings, else PT_STRING8 (001E)
  int codepage = 1252;  // PR_MESSAGE_CODEPAGE, for PT_STRING8
  std::string string8_charset = "WINDOWS-1252";  // how PT_STRING8 bytes are encoded
};

// The .msg bytes.
std::string BuildMsg(const MsgSpec& spec);

// Unix seconds -> FILETIME (100 ns since 1601-01-01).
std::uint64_t FileTime(std::int64_t unix_seconds);

}  // namespace msgtest
