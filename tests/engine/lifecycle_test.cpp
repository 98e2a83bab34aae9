// Issue 4's end-to-end scenario: the 90-day token lifecycle of two
// accounts, with the deskmail binary, a real Dovecot validating the JWT
// access tokens, and a real HTTPS identity provider on loopback
// (tests/support/idp_server.h) standing in for Microsoft's — the one part
// that cannot run here. Time moves by days through DESKMAIL_NOW.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/engine/run_sandbox.h"
#include "tests/support/idp_server.h"
#include "tests/support/temp_store.h"
#include "util/clock.h"

using namespace run_test;
using nlohmann::json;

namespace {

constexpr std::int64_t kDay = 86400;
const std::int64_t kT0 = *util::ParseRfc3339("2027-01-04T09:00:00Z");

std::string Now(std::int64_t t) { return "DESKMAIL_NOW=" + util::FormatRfc3339(t); }

std::string MailDate(std::int64_t t) { return test_support::Rfc2822Date(t); }

struct StoreView {
  std::map<std::string, std::vector<store::TicketRecord>> tickets;  // by account
  std::vector<store::OutageRecord> outages;
};

StoreView Look(const std::string& data_dir) {
  StoreView v;
  store::Options o;
  o.read_only = true;
  auto st = store::Store::Open(data_dir, o);
  REQUIRE(st.ok());
  REQUIRE((*st)
              ->Read([&](store::ReadTxn& t) {
                t.ForEachTicket([&](const store::TicketRecord& r) {
                  v.tickets[r.account].push_back(r);
                  return true;
                });
                t.ForEachOutage([&](const store::OutageRecord& r) {
                  v.outages.push_back(r);
                  return true;
                });
                return util::Status{};
              })
              .ok());
  return v;
}

json AccountsJson(RunSandbox& sb, std::int64_t t) {
  auto r = sb.Run("accounts --json", Now(t));
  INFO(r.err);
  REQUIRE(r.code == 0);
  return json::parse(r.out);
}

const json& AccountIn(const json& j, const std::string& name) {
  for (const auto& a : j["accounts"]) {
    if (a["name"] == name) return a;
  }
  FAIL("no account " << name);
  return j;
}

std::string Slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("token lifecycle: expiring, outage, reauth, backfill of the whole gap", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  test_support::IdpServer idp;
  // The key is read here: the minter runs on the IdP's server thread, where
  // a Catch assertion (hmac_key_b64 has one) races with the test's.
  idp.SetAccessTokenMinter([key = d.hmac_key_b64()](const std::string& user) {
    return imap_test::MintJwt(key, user, 3600);
  });
  const std::string ua = imap_test::UniqueUser("life-a");
  const std::string ub = imap_test::UniqueUser("life-b");
  auto oauth = [&](const std::string&) {
    return "client_id = \"" + idp.client_id() + "\"\nprovider = \"custom\"\ntoken_endpoint = \"" +
           idp.token_url() + "\"\ndevice_code_endpoint = \"" + idp.device_code_url() +
           "\"\noauth_ca_file = \"" + idp.ca_file() + "\"\n";
  };
  const std::string alerts = sb.dir() + "/alerts.jsonl";
  sb.WriteConfig({Account("A", ua, "", false, "INBOX", oauth(ua)),
                  Account("B", ub, "", false, "INBOX", oauth(ub))},
                 0, "alert_command = \"cat >> " + alerts + "\"\nexpired_retry_hours = 6\n");

  auto reauth = [&](const std::string& name, const std::string& user, std::int64_t t) {
    test_support::DeviceFlowScript script;
    script.user = user;
    script.pending = 1;
    script.interval = 1;
    idp.ScriptDeviceFlow(script);
    auto r = sb.Run("reauth " + name, Now(t));
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("enter the code"));
    return r;
  };

  // Day 0: A signs in; day 20: B does. Both ingest.
  reauth("A", ua, kT0);
  reauth("B", ub, kT0 + 20 * kDay);
  AppendMessages(d, ua, 0, 3, 1500, "INBOX", MailDate(kT0 + 19 * kDay), "a-early");
  AppendMessages(d, ub, 0, 3, 1500, "INBOX", MailDate(kT0 + 19 * kDay), "b-early");
  auto run = sb.Run("run --once", Now(kT0 + 20 * kDay));
  INFO(run.err);
  REQUIRE(run.code == 0);
  CHECK(Look(sb.dir() + "/data").tickets["A"].size() == 3);
  CHECK(Look(sb.dir() + "/data").tickets["B"].size() == 3);

  // Day 81: A is expiring, the banner shows; B is active.
  json day81 = AccountsJson(sb, kT0 + 81 * kDay);
  CHECK(day81["alert"] ==
        "Alert: Some of your support email IMAP refresh tokens will expire within 10 days. "
        "Re-authenticate them here to avoid service interruption.");
  CHECK(AccountIn(day81, "A")["state"] == "expiring");
  CHECK(AccountIn(day81, "A")["days_left"] == 9);
  CHECK(AccountIn(day81, "B")["state"] == "active");
  auto text = sb.Run("accounts", Now(kT0 + 81 * kDay));
  CHECK_THAT(text.out, Catch::StartsWith("Alert: Some of your support email IMAP refresh tokens"));
  // The engine logs and runs alert_command once a day per expiring account.
  AppendMessages(d, ua, 3, 2, 1500, "INBOX", MailDate(kT0 + 80 * kDay), "a-early");
  run = sb.Run("run --once", Now(kT0 + 81 * kDay));
  REQUIRE(run.code == 0);
  CHECK_THAT(run.err, Catch::Contains("will expire within 10 days"));
  run = sb.Run("run --once", Now(kT0 + 81 * kDay + 3600));
  REQUIRE(run.code == 0);
  std::string alert_lines = Slurp(alerts);
  CHECK(std::count(alert_lines.begin(), alert_lines.end(), '\n') == 1);
  CHECK(json::parse(alert_lines.substr(0, alert_lines.find('\n')))["name"] == "A");
  const std::int64_t last_sync_a = kT0 + 81 * kDay + 3600;

  // Day 91: the IdP refuses A's refresh token. The outage opens, A stops, B goes on.
  idp.RevokeUser(ua, 700082);
  AppendMessages(d, ub, 3, 2, 1500, "INBOX", MailDate(kT0 + 90 * kDay), "b-late");
  run = sb.Run("run --once", Now(kT0 + 91 * kDay));
  CHECK(run.code == 1);
  CHECK_THAT(run.err, Catch::Contains("outage #1 opened"));
  CHECK_THAT(run.err, Catch::Contains("AADSTS700082"));
  StoreView v91 = Look(sb.dir() + "/data");
  CHECK(v91.tickets["B"].size() == 5);
  REQUIRE(v91.outages.size() == 1);
  CHECK(v91.outages[0].account == "A");
  CHECK(v91.outages[0].start == last_sync_a);
  CHECK(v91.outages[0].end == 0);
  json day91 = AccountsJson(sb, kT0 + 91 * kDay);
  CHECK(AccountIn(day91, "A")["state"] == "expired");
  CHECK(AccountIn(day91, "A")["outages"][0]["end"].is_null());

  // 30 customer mails reach A's mailbox during the outage; B keeps working and
  // the token endpoint is not asked again for A within expired_retry_hours.
  // They arrive (INTERNALDATE) during the outage on the test's clock.
  AppendMessages(d, ua, 0, 30, 1500, "INBOX", MailDate(kT0 + 91 * kDay + 600), "missed",
                 kT0 + 91 * kDay + 600);
  AppendMessages(d, ub, 5, 1, 1500, "INBOX", MailDate(kT0 + 91 * kDay), "b-late");
  idp.ClearRequests();
  run = sb.Run("run --once", Now(kT0 + 91 * kDay + 2 * 3600));
  CHECK(run.code == 1);
  std::size_t a_refreshes = 0;
  for (const auto& req : idp.requests_to("/token")) {
    if (req.form.count("grant_type") && req.form.at("grant_type") == "refresh_token") ++a_refreshes;
  }
  CHECK(a_refreshes == 1);  // B's only
  CHECK(Look(sb.dir() + "/data").tickets["A"].size() == 5);
  CHECK(Look(sb.dir() + "/data").tickets["B"].size() == 6);

  // Day 92: an admin reauthenticates A through the device flow; the next
  // sync backfills all 30, exactly once, tagged with the outage.
  const std::int64_t reauth_at = kT0 + 92 * kDay;
  auto r = reauth("A", ua, reauth_at);
  CHECK_THAT(r.out, Catch::Contains("outage #1 closed"));
  CHECK(AccountIn(AccountsJson(sb, reauth_at), "A")["state"] == "recovering");
  run = sb.Run("run --once", Now(reauth_at + 60));
  INFO(run.err);
  REQUIRE(run.code == 0);
  run = sb.Run("run --once", Now(reauth_at + 120));  // and again: nothing doubles
  REQUIRE(run.code == 0);

  StoreView after = Look(sb.dir() + "/data");
  REQUIRE(after.outages.size() == 1);
  CHECK(after.outages[0].end == reauth_at);
  CHECK(after.outages[0].recovered == 30);
  CHECK(after.tickets["A"].size() == 35);
  std::set<std::string> missed;
  for (const auto& t : after.tickets["A"]) {
    if (t.subject.rfind("missed ", 0) == 0) {
      missed.insert(t.subject);
      CHECK(t.outage_id == after.outages[0].id);
    } else {
      CHECK(t.outage_id == 0);
    }
  }
  CHECK(missed.size() == 30);
  CHECK(after.tickets["B"].size() == 6);
  json day92 = AccountsJson(sb, reauth_at + 120);
  CHECK(AccountIn(day92, "A")["state"] == "active");
  CHECK(AccountIn(day92, "A")["outages"][0]["recovered"] == 30);
  CHECK(AccountIn(day92, "B")["outages"].empty());

  // No refresh token in clear in the store or in anything deskmail printed.
  const std::string token_a = idp.CurrentRefreshToken(ua);
  REQUIRE_FALSE(token_a.empty());
  std::string mdb = Slurp(sb.dir() + "/data/data.mdb");
  CHECK(mdb.find(token_a) == std::string::npos);
  CHECK(run.err.find(token_a) == std::string::npos);
  CHECK(r.out.find(token_a) == std::string::npos);
}

TEST_CASE(
    "a transient token-endpoint failure never opens an outage, and invalid_client is its own cause",
    "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  test_support::IdpServer idp;
  idp.SetAccessTokenMinter([key = d.hmac_key_b64()](const std::string& user) {
    return imap_test::MintJwt(key, user, 3600);
  });
  const std::string ua = imap_test::UniqueUser("transient-a");
  sb.WriteConfig({Account("A", ua, "", false, "INBOX",
                          "client_id = \"" + idp.client_id() + "\"\nprovider = \"custom\"\n" +
                              "token_endpoint = \"" + idp.token_url() + "\"\n" +
                              "device_code_endpoint = \"" + idp.device_code_url() + "\"\n" +
                              "oauth_ca_file = \"" + idp.ca_file() + "\"\n")});
  test_support::DeviceFlowScript script;
  script.user = ua;
  script.interval = 1;
  idp.ScriptDeviceFlow(script);
  REQUIRE(sb.Run("reauth A", Now(kT0)).code == 0);
  AppendMessages(d, ua, 0, 2, 1000, "INBOX", MailDate(kT0), "t");

  // 503, then 500: retried with backoff, the pass completes, no outage.
  idp.ScriptToken(test_support::OAuthErrorResponse(503, "temporarily_unavailable", "try later"));
  idp.ScriptToken(test_support::OAuthErrorResponse(500, "server_error", "oops"));
  auto run = sb.Run("run --once", Now(kT0 + kDay));
  INFO(run.err);
  CHECK(run.code == 0);
  CHECK_THAT(run.err, Catch::Contains("transient"));
  CHECK(Look(sb.dir() + "/data").outages.empty());
  CHECK(Look(sb.dir() + "/data").tickets["A"].size() == 2);
  CHECK(AccountIn(AccountsJson(sb, kT0 + kDay), "A")["state"] == "active");

  // The app's client secret expired: an outage whose cause says so.
  idp.ScriptToken(test_support::OAuthErrorResponse(
      401, "invalid_client", "AADSTS7000222: The provided client secret keys are expired.",
      7000222));
  run = sb.Run("run --once", Now(kT0 + 2 * kDay));
  CHECK(run.code == 1);
  StoreView v = Look(sb.dir() + "/data");
  REQUIRE(v.outages.size() == 1);
  CHECK_THAT(v.outages[0].cause, Catch::StartsWith("invalid_client"));
}

TEST_CASE(
    "past a fixed reauth deadline the provider is asked first: a grant still honoured keeps mail "
    "flowing with a warning",
    "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  test_support::IdpServer idp;
  idp.SetAccessTokenMinter([key = d.hmac_key_b64()](const std::string& user) {
    return imap_test::MintJwt(key, user, 3600);
  });
  const std::string ua = imap_test::UniqueUser("deadline-a");
  sb.WriteConfig({Account(
      "A", ua, "", false, "INBOX",
      "client_id = \"" + idp.client_id() + "\"\nprovider = \"custom\"\n" + "token_endpoint = \"" +
          idp.token_url() + "\"\n" + "device_code_endpoint = \"" + idp.device_code_url() + "\"\n" +
          "oauth_ca_file = \"" + idp.ca_file() + "\"\n" + "refresh_token_lifetime_days = 30\n")});
  test_support::DeviceFlowScript script;
  script.user = ua;
  script.interval = 1;
  idp.ScriptDeviceFlow(script);
  REQUIRE(sb.Run("reauth A", Now(kT0)).code == 0);
  AppendMessages(d, ua, 0, 2, 1000, "INBOX", MailDate(kT0 + 31 * kDay), "late");

  idp.ClearRequests();
  auto run = sb.Run("run --once", Now(kT0 + 31 * kDay));
  INFO(run.err);
  CHECK(run.code == 0);
  CHECK(idp.requests_to("/token").size() == 1);  // asked before any fetch
  CHECK_THAT(run.err, Catch::Contains("still grants tokens after the reauth deadline"));
  CHECK(Look(sb.dir() + "/data").outages.empty());
  CHECK(Look(sb.dir() + "/data").tickets["A"].size() == 2);

  // The same day, once the provider refuses, the outage opens with its words.
  idp.RevokeUser(ua, 700082);
  run = sb.Run("run --once", Now(kT0 + 31 * kDay + 600));
  CHECK(run.code == 1);
  CHECK_THAT(run.err, Catch::Contains("AADSTS700082"));
  REQUIRE(Look(sb.dir() + "/data").outages.size() == 1);
}

// Issue 15: a lost master.key is an error naming the accounts, never a new key.
TEST_CASE("run with sealed tokens and no master key refuses those accounts by name", "[dovecot]") {
  DOVECOT_OR_SKIP(d);
  RunSandbox sb(d);
  test_support::IdpServer idp;
  idp.SetAccessTokenMinter([key = d.hmac_key_b64()](const std::string& user) {
    return imap_test::MintJwt(key, user, 3600);
  });
  const std::string ua = imap_test::UniqueUser("nokey-a");
  const std::string ub = imap_test::UniqueUser("nokey-b");
  sb.WriteConfig(
      {Account("A", ua, "", false, "INBOX",
               "client_id = \"" + idp.client_id() + "\"\nprovider = \"custom\"\n" +
                   "token_endpoint = \"" + idp.token_url() + "\"\n" + "device_code_endpoint = \"" +
                   idp.device_code_url() + "\"\n" + "oauth_ca_file = \"" + idp.ca_file() + "\"\n"),
       Account("B", ub, sb.TokenFile(ub, 3600))});
  test_support::DeviceFlowScript script;
  script.user = ua;
  script.interval = 1;
  idp.ScriptDeviceFlow(script);
  REQUIRE(sb.Run("reauth A", Now(kT0)).code == 0);
  AppendMessages(d, ua, 0, 1, 1000, "INBOX", MailDate(kT0), "k");
  AppendMessages(d, ub, 0, 1, 1000, "INBOX", MailDate(kT0), "k");
  const std::string key = sb.dir() + "/data/master.key";
  REQUIRE(fs::exists(key));
  fs::remove(key);

  auto run = sb.Run("run --once", Now(kT0 + 60));
  INFO(run.err);
  CHECK(run.code == 1);
  CHECK_THAT(run.err, Catch::Contains("no master key"));
  CHECK_THAT(run.err, Catch::Contains("for account A"));
  CHECK_THAT(run.err, Catch::Contains("account A: not started"));
  CHECK_FALSE(fs::exists(key));  // never silently regenerated
  StoreView v = Look(sb.dir() + "/data");
  CHECK(v.tickets["A"].empty());
  CHECK(v.tickets["B"].size() == 1);  // the other account still runs
  // reauth will not make a new key either.
  auto re = sb.Run("reauth A", Now(kT0 + 120));
  CHECK(re.code == 1);
  CHECK_FALSE(fs::exists(key));
}
