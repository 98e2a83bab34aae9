// recovery::AuthenticateForwarder: whether the forwarder of an intake
// message is who its From: says, judged only by what the receiving side
// recorded. The outer From: is written by the sender and proves nothing;
// the intake unwraps a forward (files mail in a customer's name) only when
// one of these vouches for it:
//
//   dmarc    the topmost Authentication-Results (RFC 8601) header whose
//            authserv-id is trusted says dmarc=pass for the From: domain;
//   exchange mail fetched over IMAP from an Exchange Online account whose
//            organization headers say it was submitted inside the tenant
//            (X-MS-Exchange-Organization-AuthAs: Internal, -AuthSource set,
//            -MessageDirectionality: Originating). Exchange's header
//            firewall strips these from mail that arrives from outside.
//            Counts as strongly as dmarc;
//   dkim     that same header says dkim=pass with a signing domain (header.d,
//            else header.i) aligned with the From: domain: same
//            organizational domain (Public Suffix List), DMARC's relaxed rule;
//   envelope the envelope sender an MTA pipe passed (`intake --sender`)
//            equals the From: address.
//
// `require` is the weakest of these that is enough: dmarc (dmarc or
// exchange), dkim (also dkim), envelope (also envelope), none (nothing is
// checked: From: alone, as before; warned at start-up).
//
// Why only the topmost trusted header: every hop prepends its headers, so
// the receiving MTA's Authentication-Results sit above anything the sender
// wrote. A sender can forge "Authentication-Results: mx.example.com;
// dmarc=pass" in its own header block, and some MTAs leave such forgeries
// in place (RFC 8601 section 5 asks them to remove them, not all do), so the
// topmost header of a trusted authserv-id is the only one that can be the
// receiving side's; later ones with any id are ignored, as are headers of
// ids not in trusted_authserv_ids. An MTA that splits its results over
// several headers (OpenDKIM + OpenDMARC) puts the last milter's on top:
// OpenDMARC's, which carries dmarc=, so require = "dmarc" works there.
//
// Microsoft 365 writes Authentication-Results without an authserv-id. Such
// a header is trusted only when trusted_authserv_ids holds the pseudo-id
// "exchange-online" and the mail was fetched from an Exchange Online
// account (Exchange Online Protection stamps every inbound message, above
// anything the sender wrote).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace recovery {

enum class ForwarderAuthLevel { kDmarc, kDkim, kEnvelope, kNone };
// "dmarc", "dkim", "envelope", "none".
const char* ForwarderAuthLevelName(ForwarderAuthLevel l);
util::Result<ForwarderAuthLevel> ParseForwarderAuthLevel(std::string_view s);

struct ForwarderAuthConfig {
  std::vector<std::string> trusted_authserv_ids;  // compared case-insensitively
  ForwarderAuthLevel require = ForwarderAuthLevel::kDmarc;
  // The intake account is an Exchange Online mailbox: its organization
  // headers (and, with "exchange-online" trusted, its id-less
  // Authentication-Results) count for mail fetched from it over IMAP.
  bool exchange_online = false;
  // The envelope sender of the one message an MTA pipe hands to
  // `deskmail intake --sender ADDR`; nullopt elsewhere.
  std::optional<std::string> envelope_sender;
};

struct ForwarderAuthResult {
  bool authenticated = false;
  std::string method;  // what vouched: "dmarc", "exchange", "dkim", "envelope", "none"; or empty
  std::string reason;  // one line, for the intake log (why, or why not)
};

// Pure: `headers` are the message's top-level fields in wire order (values
// unfolded, as mime::Message::headers holds them), `from` the outer From:
// address. `fetched_from_exchange` says the message came over IMAP from
// the intake account (the only path where Exchange's headers mean anything).
ForwarderAuthResult AuthenticateForwarder(
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& from,
    const ForwarderAuthConfig& cfg, bool fetched_from_exchange);

// One parsed Authentication-Results header (RFC 8601 section 2.2).
struct AuthResults {
  std::string authserv_id;  // lower-cased; empty when the header has none (Microsoft 365)
  struct Result {
    std::string method;  // lower-cased, version dropped: "dkim", "dmarc", "spf"
    std::string result;  // lower-cased: "pass", "fail", ...
    std::vector<std::pair<std::string, std::string>> props;  // {"header.d", "example.com"}
    const std::string* Prop(std::string_view name) const;
  };
  std::vector<Result> results;
};
std::optional<AuthResults> ParseAuthResults(std::string_view value);

// The registrable ("organizational") domain of `domain` by the Public
// Suffix List, lower-cased; the domain itself when it has none.
std::string OrganizationalDomain(std::string domain);

}  // namespace recovery
