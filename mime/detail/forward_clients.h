// Per-client-family vocabulary of forwarded header blocks: one table per
// family (Outlook, Gmail, Apple Mail, Thunderbird and its relatives, regional
// webmail), one row per language. The data lives in mime/forward_clients.cpp;
// mime/forward_labels.cpp merges it into its lookups. Internal to mime/.
#pragma once

#include <cstddef>

namespace mime::detail {

// One client family in one language. Every text field holds alternatives
// separated by '|' ("" when the client prints none); case does not matter.
struct ClientLocale {
  const char* lang;  // BCP 47 tag, for people reading the table
  const char* from;  // field labels, without the colon
  const char* date;  // "Sent", "Date", "送信日時"...
  const char* to;
  const char* cc;
  const char* subject;
  const char* forward;   // separator phrases that say "forwarded"
  const char* original;  // "Original Message"-like phrases (replies print them too)
  const char* end;       // end-of-forward markers ("End forwarded message")
  const char* prefix;    // subject prefixes, without the colon ("FW", "转发")
};

struct ClientFamily {
  const char* name;
  const ClientLocale* rows;
  std::size_t count;
};

// Every family's table, in no particular order.
const ClientFamily* ClientFamilies(std::size_t* count);

}  // namespace mime::detail
