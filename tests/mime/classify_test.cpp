#include "mime/classify.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

struct Case {
  const char* name;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string from;
  std::string subject;
  std::optional<std::string> return_path;
  mime::TopLevelType top;
  mime::Classification want;
  const char* reason;
};

}  // namespace

TEST_CASE("Classify: first matching rule wins, reason names the evidence", "[classify]") {
  using C = mime::Classification;
  const mime::TopLevelType plain{"text/plain", ""};
  const Case cases[] = {
      {"normal",
       {{"From", "a@example.com"}},
       "a@example.com",
       "Printer broken",
       std::nullopt,
       plain,
       C::kNormal,
       ""},
      {"Auto-Submitted: no is normal",
       {{"Auto-Submitted", "no"}},
       "a@example.com",
       "Hi",
       std::nullopt,
       plain,
       C::kNormal,
       ""},
      {"X-Auto-Response-Suppress is only a request",
       {{"X-Auto-Response-Suppress", "All"}},
       "a@example.com",
       "Hi",
       std::nullopt,
       plain,
       C::kNormal,
       ""},
      {"DSN report",
       {},
       "postmaster-not@example.com",
       "Undeliverable",
       std::nullopt,
       {"multipart/report", "delivery-status"},
       C::kBounce,
       "Content-Type: multipart/report; report-type=delivery-status"},
      {"MAILER-DAEMON",
       {},
       "MAILER-DAEMON@mx.example.com",
       "failure",
       std::nullopt,
       plain,
       C::kBounce,
       "From: MAILER-DAEMON@mx.example.com"},
      {"postmaster",
       {},
       "Postmaster@example.com",
       "x",
       std::nullopt,
       plain,
       C::kBounce,
       "From: Postmaster@example.com"},
      {"X-Failed-Recipients",
       {{"X-Failed-Recipients", "b@example.com"}},
       "a@example.com",
       "x",
       std::nullopt,
       plain,
       C::kBounce,
       "X-Failed-Recipients: b@example.com"},
      {"empty Return-Path",
       {{"Return-Path", "<>"}},
       "a@example.com",
       "x",
       std::string(),
       plain,
       C::kBounce,
       "Return-Path: <>"},
      {"Auto-Submitted beats empty Return-Path",
       {{"Return-Path", "<>"}, {"Auto-Submitted", "auto-replied"}},
       "a@example.com",
       "x",
       std::string(),
       plain,
       C::kAutoReply,
       "Auto-Submitted: auto-replied"},
      {"Auto-Submitted with parameters",
       {{"Auto-Submitted", "auto-generated; owner=x"}},
       "a@example.com",
       "x",
       std::nullopt,
       plain,
       C::kAutoReply,
       "Auto-Submitted: auto-generated; owner=x"},
      {"X-Autoreply",
       {{"X-Autoreply", "yes"}},
       "a@example.com",
       "x",
       std::nullopt,
       plain,
       C::kAutoReply,
       "X-Autoreply: yes"},
      {"X-Autorespond",
       {{"X-Autorespond", "1"}},
       "a@example.com",
       "x",
       std::nullopt,
       plain,
       C::kAutoReply,
       "X-Autorespond: 1"},
      {"Precedence auto_reply",
       {{"Precedence", "auto_reply"}},
       "a@example.com",
       "x",
       std::nullopt,
       plain,
       C::kAutoReply,
       "Precedence: auto_reply"},
      {"MDN",
       {},
       "a@example.com",
       "Read: x",
       std::nullopt,
       {"multipart/report", "disposition-notification"},
       C::kAutoReply,
       "Content-Type: multipart/report; report-type=disposition-notification"},
      {"Out of Office subject",
       {},
       "a@example.com",
       "Out of Office: back Monday",
       std::nullopt,
       plain,
       C::kAutoReply,
       "Subject: Out of Office: back Monday"},
      {"Automatic reply subject",
       {},
       "a@example.com",
       "Automatic reply: Help",
       std::nullopt,
       plain,
       C::kAutoReply,
       "Subject: Automatic reply: Help"},
      {"German subject",
       {},
       "a@example.com",
       "Abwesenheitsnotiz: Hilfe",
       std::nullopt,
       plain,
       C::kAutoReply,
       "Subject: Abwesenheitsnotiz: Hilfe"},
      {"French subject, other case",
       {},
       "a@example.com",
       "RÉPONSE AUTOMATIQUE : x",
       std::nullopt,
       plain,
       C::kAutoReply,
       "Subject: RÉPONSE AUTOMATIQUE : x"},
      {"Auto: subject",
       {},
       "a@example.com",
       "Auto: away",
       std::nullopt,
       plain,
       C::kAutoReply,
       "Subject: Auto: away"},
      {"subject mentioning out of office later is normal",
       {},
       "a@example.com",
       "Re: my out of office is broken",
       std::nullopt,
       plain,
       C::kNormal,
       ""},
      {"auto-reply beats bulk",
       {{"Precedence", "bulk"}, {"Auto-Submitted", "auto-replied"}},
       "a@example.com",
       "x",
       std::nullopt,
       plain,
       C::kAutoReply,
       "Auto-Submitted: auto-replied"},
      {"Precedence bulk",
       {{"Precedence", "bulk"}},
       "a@example.com",
       "x",
       std::nullopt,
       plain,
       C::kBulk,
       "Precedence: bulk"},
      {"Precedence list",
       {{"Precedence", "List"}},
       "a@example.com",
       "x",
       std::nullopt,
       plain,
       C::kBulk,
       "Precedence: List"},
      {"Precedence junk",
       {{"Precedence", "junk"}},
       "a@example.com",
       "x",
       std::nullopt,
       plain,
       C::kBulk,
       "Precedence: junk"},
      {"List-Id",
       {{"List-Id", "News <news.example.com>"}},
       "a@example.com",
       "x",
       std::nullopt,
       plain,
       C::kBulk,
       "List-Id: News <news.example.com>"},
      {"List-Unsubscribe",
       {{"List-Unsubscribe", "<mailto:u@example.com>"}},
       "a@example.com",
       "x",
       std::nullopt,
       plain,
       C::kBulk,
       "List-Unsubscribe: <mailto:u@example.com>"},
      {"bounce beats bulk",
       {{"List-Id", "<l.example.com>"}},
       "mailer-daemon@example.com",
       "x",
       std::nullopt,
       plain,
       C::kBounce,
       "From: mailer-daemon@example.com"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    mime::Message m;
    m.headers = c.headers;
    m.from.address = c.from;
    m.subject = c.subject;
    m.return_path = c.return_path;
    mime::Classify(c.top, &m);
    CHECK(mime::ClassificationName(m.classification) ==
          std::string(mime::ClassificationName(c.want)));
    CHECK(m.classification_reason == c.reason);
  }
}

TEST_CASE("ClassificationName covers every value", "[classify]") {
  CHECK(std::string(mime::ClassificationName(mime::Classification::kNormal)) == "normal");
  CHECK(std::string(mime::ClassificationName(mime::Classification::kAutoReply)) == "auto-reply");
  CHECK(std::string(mime::ClassificationName(mime::Classification::kBounce)) == "bounce");
  CHECK(std::string(mime::ClassificationName(mime::Classification::kBulk)) == "bulk");
}

TEST_CASE("Long evidence is shortened in the reason", "[classify]") {
  mime::Message m;
  m.headers = {{"List-Unsubscribe", std::string(500, 'x')}};
  mime::Classify({}, &m);
  CHECK(m.classification == mime::Classification::kBulk);
  CHECK(m.classification_reason.size() < 130);
}
