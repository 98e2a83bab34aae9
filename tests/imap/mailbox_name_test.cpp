#include "imap/mailbox_name.h"

#include <catch2/catch.hpp>

namespace {

TEST_CASE("Mailbox names round-trip through modified UTF-7", "[imap][mutf7]") {
  struct Case {
    const char* utf8;
    const char* wire;
  };
  // Wire forms from RFC 3501 5.1.3 and from Dovecot/Thunderbird folder listings.
  const Case cases[] = {
      {"INBOX", "INBOX"},
      {"Erledigt/Übersicht", "Erledigt/&ANw-bersicht"},
      {"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
      {"Tom & Jerry", "Tom &- Jerry"},
      {"&", "&-"},
      {"Entwürfe", "Entw&APw-rfe"},
      {"Gelöschte Elemente", "Gel&APY-schte Elemente"},
      {"😀", "&2D3eAA-"},    // astral plane: a surrogate pair
      {"a\tb", "a&AAk-b"},  // control characters are base64-encoded
      {"", ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.utf8);
    CHECK(imap::EncodeMailboxName(c.utf8) == std::optional<std::string>(c.wire));
    CHECK(imap::DecodeMailboxName(c.wire) == std::optional<std::string>(c.utf8));
  }
}

TEST_CASE("Malformed mailbox names are rejected", "[imap][mutf7]") {
  SECTION("invalid UTF-8 cannot be encoded") {
    for (const char* bad : {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80" /* surrogate */}) {
      CAPTURE(bad);
      CHECK_FALSE(imap::EncodeMailboxName(bad).has_value());
    }
  }
  SECTION("invalid modified UTF-7 cannot be decoded") {
    const char* bad[] = {
        "&ANw",         // unterminated
        "&A-",          // too short for one UTF-16 unit
        "&ANx-",        // non-zero padding bits
        "&AEE-",        // 'A' must be sent directly
        "&2D0-",        // lone high surrogate
        "&ANw/-",       // '/' is not in the modified alphabet
        "caf\xc3\xa9",  // 8-bit bytes are never direct
    };
    for (const char* b : bad) {
      CAPTURE(b);
      CHECK_FALSE(imap::DecodeMailboxName(b).has_value());
    }
  }
}

}  // namespace
