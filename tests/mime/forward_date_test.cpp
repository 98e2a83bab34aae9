// Table test of mime::ParseForwardDate: localized formats as clients print them.
#include <catch2/catch.hpp>

#include <ctime>
#include <string>

#include "mime/forward_date.h"

namespace {

std::string Utc(std::optional<std::int64_t> t) {
  if (!t) return "null";
  const std::time_t tt = static_cast<std::time_t>(*t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Row {
  const char* text;
  int tz;  // default zone, minutes east
  const char* want;
};

constexpr Row kRows[] = {
    // RFC 5322 and English clients
    {"Wed, 3 Nov 2021 15:51:30 +0100", 0, "2021-11-03T14:51:30Z"},
    {"Thu, Oct 28, 2021 at 9:31 AM", 0, "2021-10-28T09:31:00Z"},
    {"Monday, November 2, 2026 10:00 PM", -300, "2026-11-03T03:00:00Z"},
    {"Monday, November 2, 2026 12:05 AM", 0, "2026-11-02T00:05:00Z"},
    {"Wednesday, October 27, 2021 15:14", 120, "2021-10-27T13:14:00Z"},
    {"16 July 2021 at 19:24:14 CEST", 0, "2021-07-16T17:24:14Z"},
    {"Tuesday, November 2, 2021, 09:26:50 AM GMT+1", 0, "2021-11-02T08:26:50Z"},
    {"02/10/2023 4:52 PM EST", 0, "2023-02-10T21:52:00Z"},
    {"Monday, September 19, 2022, 5:55:44 PM -0400", 0, "2022-09-19T21:55:44Z"},
    {"2026-11-02 10:00", 60, "2026-11-02T09:00:00Z"},
    {"Mon, 2 Nov 2026 10:00:00 +05:30", 0, "2026-11-02T04:30:00Z"},
    // German, French, Spanish, Italian, Portuguese, Dutch
    {"Montag, 2. November 2026 10:00", 60, "2026-11-02T09:00:00Z"},
    {"Mi., 27. Okt. 2021 um 09:31 Uhr", 120, "2021-10-27T07:31:00Z"},
    {"26. Oktober 2021 um 14:25:08 OESZ", 0, "2021-10-26T11:25:08Z"},
    {"lundi 2 novembre 2026 10:00", 60, "2026-11-02T09:00:00Z"},
    {"mer. 27 oct. 2021 à 09:31", 0, "2021-10-27T09:31:00Z"},
    {"17 août 2022 à 09:06:24 UTC+2", 0, "2022-08-17T07:06:24Z"},
    {"2 de noviembre de 2026, 10:00", 60, "2026-11-02T09:00:00Z"},
    {"mié, 27 oct 2021 a las 9:31", 0, "2021-10-27T09:31:00Z"},
    {"mar., 2 nov. 2021 10:00", 0, "2021-11-02T10:00:00Z"},  // "mar." is Tuesday here
    {"lunedì 2 novembre 2026, 10:00", 60, "2026-11-02T09:00:00Z"},
    {"segunda-feira, 2 de novembro de 2026 10:00", 0, "2026-11-02T10:00:00Z"},
    {"quarta, 27/10/2021 à(s) 09:31", 0, "2021-10-27T09:31:00Z"},
    {"maandag 2 november 2026 10:00", 60, "2026-11-02T09:00:00Z"},
    {"wo 27 okt. 2021 om 09:31", 0, "2021-10-27T09:31:00Z"},
    // Nordic
    {"den 2 november 2026 10:00", 60, "2026-11-02T09:00:00Z"},
    {"26. oktober 2021 kl. 14.25.08 EEST", 0, "2021-10-26T11:25:08Z"},
    {"ons. 27. okt. 2021 kl. 09.31", 0, "2021-10-27T09:31:00Z"},
    {"tirsdag den 2. november 2021 09.26.50 CET", 0, "2021-11-02T08:26:50Z"},
    {"maanantai 2. marraskuuta 2026 10.00", 120, "2026-11-02T08:00:00Z"},
    {"ke 27. lokak. 2021 klo 9.31", 0, "2021-10-27T09:31:00Z"},
    // Slavic, Turkish, Hungarian
    {"poniedziałek, 2 listopada 2026 10:00", 60, "2026-11-02T09:00:00Z"},
    {"2. listopadu 2026 10:00", 60, "2026-11-02T09:00:00Z"},
    {"st 27. 10. 2021 v 9:31", 0, "2021-10-27T09:31:00Z"},
    {"úterý 2. listopadu 2021 09:26:50 SEČ", 0, "2021-11-02T08:26:50Z"},
    {"2 ноября 2026 г., в 10:00", 180, "2026-11-02T07:00:00Z"},
    {"ср, 27 окт. 2021 г. в 09:31", 0, "2021-10-27T09:31:00Z"},
    {"26 жовтня 2021 р. о 14:25:08 GMT+3", 0, "2021-10-26T11:25:08Z"},
    {"2 Kasım 2026 Pazartesi 10:00", 180, "2026-11-02T07:00:00Z"},
    {"2021. október 26. 14:25:08 EEST", 0, "2021-10-26T11:25:08Z"},
    // CJK
    {"2026年11月2日 10:00", 540, "2026-11-02T01:00:00Z"},
    {"2022年9月19日月曜日 17:55:44 -0400", 0, "2022-09-19T21:55:44Z"},
    {"2026年11月2日(月) 午後3:09", 540, "2026-11-02T06:09:00Z"},
    {"2026年11月2日 星期一 下午3:09", 480, "2026-11-02T07:09:00Z"},
    {"2026년 11월 2일 (월) 오전 10:00", 540, "2026-11-02T01:00:00Z"},
    {"2026년 11월 2일 월요일 오후 1:30", 540, "2026-11-02T04:30:00Z"},
    // Era calendars: Japanese Reiwa (1 = 2019), Thai Buddhist era (BE - 543)
    {"令和8年11月9日 14:05", 540, "2026-11-09T05:05:00Z"},
    {"令和元年5月1日 9:00", 540, "2019-05-01T00:00:00Z"},
    {"平成31年4月30日 9:00", 540, "2019-04-30T00:00:00Z"},
    {"วันจันทร์ที่ 9 พฤศจิกายน 2569 14:05", 420, "2026-11-09T07:05:00Z"},
    {"วันจันทร์ที่ 9 พ.ย. 2569 เวลา 14:05", 420, "2026-11-09T07:05:00Z"},
    // Right-to-left: direction marks, Arabic-Indic digits, ص/م after the time
    {"\u200fالاثنين، 09 نوفمبر، 2026 02:05 م", 180, "2026-11-09T11:05:00Z"},
    {"الاثنين، ٩ نوفمبر ٢٠٢٦ في ٢:٠٥ م", 180, "2026-11-09T11:05:00Z"},
    {"الاثنين، 9 تشرين الثاني 2026 9:05 ص", 120, "2026-11-09T07:05:00Z"},
    {"2026م 9 نوفمبر 09:05", 180, "2026-11-09T06:05:00Z"},  // م before a time is the era
    {"יום ב׳, 9 בנוב׳ 2026 ב-14:05", 120, "2026-11-09T12:05:00Z"},
    {"יום שני 09 נובמבר 2026 14:05", 120, "2026-11-09T12:05:00Z"},
    // Greek, Vietnamese, Indonesian, Chinese with AM/PM words
    {"Δευτέρα, 9 Νοεμβρίου 2026 2:05 μ.μ.", 120, "2026-11-09T12:05:00Z"},
    {"Δευ, 9 Νοε 2026 στις 9:05 π.μ.", 120, "2026-11-09T07:05:00Z"},
    {"Thứ Hai, ngày 9 tháng 11 năm 2026 2:05 CH", 420, "2026-11-09T07:05:00Z"},
    {"Th 5, 12 thg 11, 2026 vào lúc 14:05", 420, "2026-11-12T07:05:00Z"},
    {"Senin, 09 November 2026 14.05", 420, "2026-11-09T07:05:00Z"},
    {"Sen, 9 Nov 2026 pukul 09.05", 420, "2026-11-09T02:05:00Z"},
    {"2026年11月9日 下午 02:05", 480, "2026-11-09T06:05:00Z"},
    {"11/09/2026 下午 02:05", 480, "2026-09-11T06:05:00Z"},  // no English AM/PM: day first
    // GMX / Web.de, Samsung's zone in parentheses
    {"Dienstag, 01. Dezember 2026 um 09:15 Uhr", 60, "2026-12-01T08:15:00Z"},
    {"11/9/26 2:05 PM (GMT-05:00)", 0, "2026-11-09T19:05:00Z"},
    // Numeric: a field > 12 decides, else day first
    {"28/10/2021 12:46", 0, "2021-10-28T12:46:00Z"},
    {"28/10/21, 12:46", 0, "2021-10-28T12:46:00Z"},
    {"10/28/2021 12:46", 0, "2021-10-28T12:46:00Z"},
    {"05/06/2021 12:46", 0, "2021-06-05T12:46:00Z"},
    // No date at all
    {"", 0, "null"},
    {"yesterday afternoon", 0, "null"},
    {"12:46", 0, "null"},
    {"November 2026", 0, "null"},
    {"99/99/9999 99:99", 0, "null"},
};

}  // namespace

TEST_CASE("ParseForwardDate handles localized client formats", "[forward][date]") {
  for (const Row& r : kRows) {
    INFO(r.text);
    CHECK(Utc(mime::ParseForwardDate(r.text, r.tz)) == r.want);
  }
}

TEST_CASE("ParseForwardDate never reads past hostile input", "[forward][date]") {
  std::string digits(100000, '9');
  CHECK_FALSE(mime::ParseForwardDate(digits, 0).has_value());
  CHECK_FALSE(mime::ParseForwardDate(std::string("\xff\xfe 2026 Nov 2", 12), 0).has_value());
  CHECK(mime::ParseForwardDate("2 Nov 2026 10:00 +9999", 0).has_value());  // bad zone: default used
}

TEST_CASE("DaysFromCivil matches known days", "[forward][date]") {
  CHECK(mime::DaysFromCivil(1970, 1, 1) == 0);
  CHECK(mime::DaysFromCivil(2000, 3, 1) == 11017);
  CHECK(mime::DaysFromCivil(2024, 2, 29) == 19782);
}
