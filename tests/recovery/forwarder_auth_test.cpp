// recovery::AuthenticateForwarder and its RFC 8601 parser, on the header
// forms real receivers write (Gmail, Microsoft 365, OpenDMARC, rspamd).
#include "recovery/forwarder_auth.h"

#include <catch2/catch.hpp>

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
using recovery::ForwarderAuthLevel;

recovery::ForwarderAuthConfig Trusting(std::vector<std::string> ids,
                                       ForwarderAuthLevel require = ForwarderAuthLevel::kDmarc) {
  recovery::ForwarderAuthConfig c;
  c.trusted_authserv_ids = std::move(ids);
  c.require = require;
  return c;
}

}  // namespace

TEST_CASE("Authentication-Results: Gmail's form, comments and quoted strings") {
  auto ar = recovery::ParseAuthResults(
      "mx.google.com;       dkim=pass header.i=@acme.example header.s=s1 header.b=\"Ab/c+d\";"
      "       spf=pass (google.com: domain of agent@acme.example designates 1.2.3.4 as permitted "
      "sender) smtp.mailfrom=agent@acme.example;       dmarc=pass (p=REJECT sp=REJECT "
      "dis=NONE) header.from=acme.example");
  REQUIRE(ar);
  CHECK(ar->authserv_id == "mx.google.com");
  REQUIRE(ar->results.size() == 3);
  CHECK(ar->results[0].method == "dkim");
  CHECK(*ar->results[0].Prop("header.i") == "@acme.example");
  CHECK(*ar->results[0].Prop("header.b") == "Ab/c+d");
  CHECK(ar->results[1].method == "spf");
  CHECK(ar->results[2].method == "dmarc");
  CHECK(ar->results[2].result == "pass");
  CHECK(*ar->results[2].Prop("header.from") == "acme.example");
}

TEST_CASE("Authentication-Results: Microsoft 365 writes no authserv-id") {
  auto ar = recovery::ParseAuthResults(
      "spf=pass (sender IP is 40.107.1.2) smtp.mailfrom=acme.example; dkim=pass (signature was "
      "verified) header.d=acme.example;dmarc=pass action=none header.from=acme.example;"
      "compauth=pass reason=100");
  REQUIRE(ar);
  CHECK(ar->authserv_id.empty());
  REQUIRE(ar->results.size() == 4);
  CHECK(ar->results[2].method == "dmarc");
  CHECK(*ar->results[2].Prop("header.from") == "acme.example");
}

TEST_CASE("Authentication-Results: version, none, spaces around '=', method versions") {
  auto none = recovery::ParseAuthResults("example.org 1; none");
  REQUIRE(none);
  CHECK(none->authserv_id == "example.org");
  CHECK(none->results.empty());
  auto spaced = recovery::ParseAuthResults(
      "mail.example.org (a comment; with a semicolon) ; dkim/1 = pass (good) header . d = "
      "Example.COM");
  REQUIRE(spaced);
  REQUIRE(spaced->results.size() == 1);
  CHECK(spaced->results[0].method == "dkim");
  CHECK(spaced->results[0].result == "pass");
  CHECK(*spaced->results[0].Prop("header.d") == "Example.COM");
}

TEST_CASE("organizational domains follow the Public Suffix List") {
  CHECK(recovery::OrganizationalDomain("mail.acme.example.co.uk") == "example.co.uk");
  CHECK(recovery::OrganizationalDomain("Eu.Mail.Acme.COM") == "acme.com");
  CHECK(recovery::OrganizationalDomain("alice.github.io") == "alice.github.io");
}

TEST_CASE("DKIM pass vouches only when aligned (relaxed) and when dkim is enough") {
  Headers h{{"Authentication-Results",
             "mx.acme.com; dkim=pass header.d=mail.acme.com; dmarc=none header.from=eu.acme.com"}};
  auto dkim = Trusting({"mx.acme.com"}, ForwarderAuthLevel::kDkim);
  auto r = recovery::AuthenticateForwarder(h, "lead@eu.acme.com", dkim, false);
  INFO(r.reason);
  CHECK(r.authenticated);
  CHECK(r.method == "dkim");
  // The default asks for DMARC.
  CHECK_FALSE(
      recovery::AuthenticateForwarder(h, "lead@eu.acme.com", Trusting({"mx.acme.com"}), false)
          .authenticated);
  // A signature by another organization, even under the same public suffix.
  Headers other{{"Authentication-Results", "mx.acme.com; dkim=pass header.d=evil.co.uk"}};
  CHECK_FALSE(recovery::AuthenticateForwarder(other, "lead@acme.co.uk", dkim, false).authenticated);
  Headers pages{{"Authentication-Results", "mx.acme.com; dkim=pass header.d=mallory.github.io"}};
  CHECK_FALSE(
      recovery::AuthenticateForwarder(pages, "lead@alice.github.io", dkim, false).authenticated);
  Headers failed{{"Authentication-Results", "mx.acme.com; dkim=fail header.d=acme.com"}};
  auto f = recovery::AuthenticateForwarder(failed, "lead@acme.com", dkim, false);
  CHECK_FALSE(f.authenticated);
  CHECK_THAT(f.reason, Catch::Contains("dkim=fail"));
}

TEST_CASE("only the topmost Authentication-Results of a trusted authserv-id counts") {
  Headers h{{"Authentication-Results", "relay.partner.example; dmarc=pass header.from=acme.com"},
            {"Authentication-Results", "mx.acme.com; dmarc=fail header.from=acme.com"},
            {"Received", "from evil by mx.acme.com"},
            {"Authentication-Results", "mx.acme.com; dmarc=pass header.from=acme.com"}};
  auto r = recovery::AuthenticateForwarder(h, "lead@acme.com", Trusting({"mx.acme.com"}), false);
  CHECK_FALSE(r.authenticated);
  CHECK_THAT(r.reason, Catch::Contains("mx.acme.com: dmarc=fail"));
}

TEST_CASE("Microsoft 365's id-less header counts only as exchange-online, from Exchange") {
  Headers h{{"Authentication-Results",
             "spf=pass smtp.mailfrom=acme.com; dmarc=pass action=none header.from=acme.com"}};
  auto cfg = Trusting({"exchange-online"});
  CHECK_FALSE(recovery::AuthenticateForwarder(h, "lead@acme.com", cfg, true).authenticated);
  cfg.exchange_online = true;
  CHECK_FALSE(recovery::AuthenticateForwarder(h, "lead@acme.com", cfg, false).authenticated);
  auto r = recovery::AuthenticateForwarder(h, "lead@acme.com", cfg, true);
  CHECK(r.authenticated);
  CHECK(r.method == "dmarc");
}

TEST_CASE("require = none takes the From: on its word, nothing else does") {
  Headers none;
  CHECK(recovery::AuthenticateForwarder(none, "lead@acme.com",
                                        Trusting({}, ForwarderAuthLevel::kNone), false)
            .authenticated);
  for (auto l :
       {ForwarderAuthLevel::kDmarc, ForwarderAuthLevel::kDkim, ForwarderAuthLevel::kEnvelope}) {
    CHECK_FALSE(
        recovery::AuthenticateForwarder(none, "lead@acme.com", Trusting({"mx.acme.com"}, l), false)
            .authenticated);
  }
  CHECK(recovery::ParseForwarderAuthLevel("dkim").value() == ForwarderAuthLevel::kDkim);
  CHECK_FALSE(recovery::ParseForwarderAuthLevel("spf").ok());
}
