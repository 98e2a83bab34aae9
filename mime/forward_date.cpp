// Localized date parsing for forwarded header blocks. The text is split into
// number, word, CJK-marker and symbol tokens; tables below say which words
// are months, zones and AM/PM markers. Unknown words (weekdays, "um", "à",
// "kl.", "г.") are ignored, which is what makes one scanner serve every
// language.
#include "mime/forward_date.h"

#include <glib.h>

#include <array>
#include <string>
#include <vector>

namespace mime {
namespace {

struct MonthName {
  const char* name;  // lower case, UTF-8
  int month;
};

// Nominative, genitive and the abbreviations clients print (with the dot
// removed). Croatian is left out on purpose: its "listopad" is October while
// Czech, Polish and Ukrainian use the same word for November.
// clang-format off
constexpr MonthName kMonths[] = {
    // English
    {"january", 1}, {"february", 2}, {"march", 3}, {"april", 4}, {"may", 5}, {"june", 6},
    {"july", 7}, {"august", 8}, {"september", 9}, {"october", 10}, {"november", 11},
    {"december", 12}, {"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4}, {"jun", 6}, {"jul", 7},
    {"aug", 8}, {"sep", 9}, {"sept", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12},
    // German
    {"januar", 1}, {"jänner", 1}, {"februar", 2}, {"märz", 3}, {"mai", 5}, {"juni", 6},
    {"juli", 7}, {"oktober", 10}, {"dezember", 12}, {"mär", 3}, {"mrz", 3}, {"okt", 10},
    {"dez", 12},
    // French
    {"janvier", 1}, {"février", 2}, {"mars", 3}, {"avril", 4}, {"juin", 6}, {"juillet", 7},
    {"août", 8}, {"septembre", 9}, {"octobre", 10}, {"novembre", 11}, {"décembre", 12},
    {"janv", 1}, {"févr", 2}, {"fév", 2}, {"avr", 4}, {"juil", 7}, {"déc", 12},
    // Spanish
    {"enero", 1}, {"febrero", 2}, {"marzo", 3}, {"abril", 4}, {"mayo", 5}, {"junio", 6},
    {"julio", 7}, {"agosto", 8}, {"septiembre", 9}, {"setiembre", 9}, {"octubre", 10},
    {"noviembre", 11}, {"diciembre", 12}, {"ene", 1}, {"abr", 4}, {"ago", 8}, {"dic", 12},
    // Italian
    {"gennaio", 1}, {"febbraio", 2}, {"aprile", 4}, {"maggio", 5}, {"giugno", 6},
    {"luglio", 7}, {"settembre", 9}, {"ottobre", 10}, {"dicembre", 12}, {"gen", 1}, {"mag", 5},
    {"giu", 6}, {"lug", 7}, {"set", 9}, {"ott", 10},
    // Portuguese
    {"janeiro", 1}, {"fevereiro", 2}, {"março", 3}, {"maio", 5}, {"junho", 6}, {"julho", 7},
    {"setembro", 9}, {"outubro", 10}, {"novembro", 11}, {"dezembro", 12}, {"fev", 2},
    {"out", 10},
    // Dutch
    {"januari", 1}, {"februari", 2}, {"maart", 3}, {"mei", 5}, {"augustus", 8}, {"mrt", 3},
    // Swedish, Danish, Norwegian
    {"augusti", 8}, {"maj", 5}, {"marts", 3}, {"desember", 12}, {"des", 12},
    // Finnish (nominative and partitive)
    {"tammikuu", 1}, {"helmikuu", 2}, {"maaliskuu", 3}, {"huhtikuu", 4}, {"toukokuu", 5},
    {"kesäkuu", 6}, {"heinäkuu", 7}, {"elokuu", 8}, {"syyskuu", 9}, {"lokakuu", 10},
    {"marraskuu", 11}, {"joulukuu", 12}, {"tammikuuta", 1}, {"helmikuuta", 2},
    {"maaliskuuta", 3}, {"huhtikuuta", 4}, {"toukokuuta", 5}, {"kesäkuuta", 6},
    {"heinäkuuta", 7}, {"elokuuta", 8}, {"syyskuuta", 9}, {"lokakuuta", 10},
    {"marraskuuta", 11}, {"joulukuuta", 12}, {"tammik", 1}, {"helmik", 2}, {"maalisk", 3},
    {"huhtik", 4}, {"toukok", 5}, {"kesäk", 6}, {"heinäk", 7}, {"elok", 8}, {"syysk", 9},
    {"lokak", 10}, {"marrask", 11}, {"jouluk", 12},
    // Polish
    {"styczeń", 1}, {"luty", 2}, {"marzec", 3}, {"kwiecień", 4}, {"czerwiec", 6},
    {"lipiec", 7}, {"sierpień", 8}, {"wrzesień", 9}, {"październik", 10}, {"listopad", 11},
    {"grudzień", 12}, {"stycznia", 1}, {"lutego", 2}, {"marca", 3}, {"kwietnia", 4},
    {"maja", 5}, {"czerwca", 6}, {"lipca", 7}, {"sierpnia", 8}, {"września", 9},
    {"października", 10}, {"listopada", 11}, {"grudnia", 12}, {"sty", 1}, {"lut", 2},
    {"kwi", 4}, {"cze", 6}, {"lip", 7}, {"sie", 8}, {"wrz", 9}, {"paź", 10}, {"lis", 11},
    {"gru", 12},
    // Czech
    {"leden", 1}, {"únor", 2}, {"březen", 3}, {"duben", 4}, {"květen", 5}, {"červen", 6},
    {"červenec", 7}, {"srpen", 8}, {"září", 9}, {"říjen", 10}, {"prosinec", 12}, {"ledna", 1},
    {"února", 2}, {"března", 3}, {"dubna", 4}, {"května", 5}, {"června", 6}, {"července", 7},
    {"srpna", 8}, {"října", 10}, {"listopadu", 11}, {"prosince", 12},
    // Slovak
    {"január", 1}, {"február", 2}, {"marec", 3}, {"apríl", 4}, {"máj", 5}, {"jún", 6},
    {"júl", 7}, {"október", 10}, {"januára", 1}, {"februára", 2}, {"apríla", 4}, {"mája", 5},
    {"júna", 6}, {"júla", 7}, {"augusta", 8}, {"septembra", 9}, {"októbra", 10},
    {"novembra", 11}, {"decembra", 12},
    // Hungarian
    {"március", 3}, {"április", 4}, {"május", 5}, {"június", 6}, {"július", 7},
    {"augusztus", 8}, {"szeptember", 9}, {"febr", 2}, {"márc", 3}, {"ápr", 4}, {"szept", 9},
    // Romanian
    {"ianuarie", 1}, {"februarie", 2}, {"martie", 3}, {"aprilie", 4}, {"iunie", 6},
    {"iulie", 7}, {"septembrie", 9}, {"octombrie", 10}, {"noiembrie", 11}, {"decembrie", 12},
    {"ian", 1}, {"iun", 6}, {"iul", 7}, {"noi", 11},
    // Estonian
    {"jaanuar", 1}, {"veebruar", 2}, {"märts", 3}, {"aprill", 4}, {"juuni", 6}, {"juuli", 7},
    {"oktoober", 10}, {"detsember", 12},
    // Turkish
    {"ocak", 1}, {"şubat", 2}, {"mart", 3}, {"nisan", 4}, {"mayıs", 5}, {"haziran", 6},
    {"temmuz", 7}, {"ağustos", 8}, {"eylül", 9}, {"ekim", 10}, {"kasım", 11}, {"aralık", 12},
    {"oca", 1}, {"şub", 2}, {"nis", 4}, {"haz", 6}, {"tem", 7}, {"ağu", 8}, {"eyl", 9},
    {"eki", 10}, {"kas", 11}, {"ara", 12},
    // Russian
    {"январь", 1}, {"февраль", 2}, {"март", 3}, {"апрель", 4}, {"май", 5}, {"июнь", 6},
    {"июль", 7}, {"август", 8}, {"сентябрь", 9}, {"октябрь", 10}, {"ноябрь", 11},
    {"декабрь", 12}, {"января", 1}, {"февраля", 2}, {"марта", 3}, {"апреля", 4}, {"мая", 5},
    {"июня", 6}, {"июля", 7}, {"августа", 8}, {"сентября", 9}, {"октября", 10}, {"ноября", 11},
    {"декабря", 12}, {"янв", 1}, {"фев", 2}, {"февр", 2}, {"мар", 3}, {"апр", 4}, {"июн", 6},
    {"июл", 7}, {"авг", 8}, {"сен", 9}, {"сент", 9}, {"окт", 10}, {"ноя", 11}, {"нояб", 11},
    {"дек", 12},
    // Ukrainian
    {"січень", 1}, {"лютий", 2}, {"березень", 3}, {"квітень", 4}, {"травень", 5},
    {"червень", 6}, {"липень", 7}, {"серпень", 8}, {"вересень", 9}, {"жовтень", 10},
    {"листопад", 11}, {"грудень", 12}, {"січня", 1}, {"лютого", 2}, {"березня", 3},
    {"квітня", 4}, {"травня", 5}, {"червня", 6}, {"липня", 7}, {"серпня", 8}, {"вересня", 9},
    {"жовтня", 10}, {"листопада", 11}, {"грудня", 12}, {"січ", 1}, {"лют", 2}, {"бер", 3},
    {"квіт", 4}, {"трав", 5}, {"черв", 6}, {"лип", 7}, {"серп", 8}, {"вер", 9}, {"жовт", 10},
    {"лист", 11}, {"груд", 12},
    // Bulgarian
    {"януари", 1}, {"февруари", 2}, {"април", 4}, {"юни", 6}, {"юли", 7}, {"септември", 9},
    {"октомври", 10}, {"ноември", 11}, {"декември", 12},
    // Greek (genitive as dates print it, nominative, abbreviations)
    {"ιανουαρίου", 1}, {"φεβρουαρίου", 2}, {"μαρτίου", 3}, {"απριλίου", 4}, {"μαΐου", 5},
    {"ιουνίου", 6}, {"ιουλίου", 7}, {"αυγούστου", 8}, {"σεπτεμβρίου", 9}, {"οκτωβρίου", 10},
    {"νοεμβρίου", 11}, {"δεκεμβρίου", 12}, {"ιανουάριος", 1}, {"φεβρουάριος", 2},
    {"μάρτιος", 3}, {"απρίλιος", 4}, {"μάιος", 5}, {"ιούνιος", 6}, {"ιούλιος", 7},
    {"αύγουστος", 8}, {"σεπτέμβριος", 9}, {"οκτώβριος", 10}, {"νοέμβριος", 11},
    {"δεκέμβριος", 12}, {"ιαν", 1}, {"φεβ", 2}, {"μαρ", 3}, {"απρ", 4}, {"μαΐ", 5}, {"μαϊ", 5},
    {"ιουν", 6}, {"ιουλ", 7}, {"αυγ", 8}, {"σεπ", 9}, {"οκτ", 10}, {"νοε", 11}, {"δεκ", 12},
    // Thai (dotted abbreviations are spelled out before tokenising, see kSpelled)
    {"มกราคม", 1}, {"กุมภาพันธ์", 2}, {"มีนาคม", 3}, {"เมษายน", 4}, {"พฤษภาคม", 5},
    {"มิถุนายน", 6}, {"กรกฎาคม", 7}, {"สิงหาคม", 8}, {"กันยายน", 9}, {"ตุลาคม", 10},
    {"พฤศจิกายน", 11}, {"ธันวาคม", 12},
    // Arabic: Egypt and the Gulf, the Levant and Iraq (two-word names are
    // joined before tokenising), the Maghreb
    {"يناير", 1}, {"فبراير", 2}, {"مارس", 3}, {"أبريل", 4}, {"ابريل", 4}, {"إبريل", 4},
    {"مايو", 5}, {"يونيو", 6}, {"يوليو", 7}, {"أغسطس", 8}, {"اغسطس", 8}, {"سبتمبر", 9},
    {"أكتوبر", 10}, {"اكتوبر", 10}, {"نوفمبر", 11}, {"ديسمبر", 12}, {"كانون_الثاني", 1},
    {"شباط", 2}, {"آذار", 3}, {"نيسان", 4}, {"أيار", 5}, {"حزيران", 6}, {"تموز", 7}, {"آب", 8},
    {"أيلول", 9}, {"تشرين_الأول", 10}, {"تشرين_الثاني", 11}, {"كانون_الأول", 12},
    {"جانفي", 1}, {"فيفري", 2}, {"أفريل", 4}, {"ماي", 5}, {"جوان", 6}, {"جويلية", 7},
    {"أوت", 8},
    // Hebrew (also with the prefix ב-, "in": "בנובמבר", "בנוב׳")
    {"ינואר", 1}, {"פברואר", 2}, {"מרץ", 3}, {"מרס", 3}, {"אפריל", 4}, {"מאי", 5},
    {"יוני", 6}, {"יולי", 7}, {"אוגוסט", 8}, {"ספטמבר", 9}, {"אוקטובר", 10}, {"נובמבר", 11},
    {"דצמבר", 12}, {"ינו", 1}, {"פבר", 2}, {"אפר", 4}, {"אוג", 8}, {"ספט", 9}, {"אוק", 10},
    {"נוב", 11}, {"דצמ", 12},
    // Indonesian, Malay
    {"maret", 3}, {"agustus", 8}, {"desember", 12}, {"agu", 8}, {"agt", 8}, {"mac", 3},
    {"ogos", 8}, {"disember", 12}, {"ogo", 8}, {"dis", 12}, {"okt", 10},
    // Hindi
    {"जनवरी", 1}, {"फ़रवरी", 2}, {"फरवरी", 2}, {"मार्च", 3}, {"अप्रैल", 4}, {"मई", 5}, {"जून", 6},
    {"जुलाई", 7}, {"अगस्त", 8}, {"सितंबर", 9}, {"सितम्बर", 9}, {"अक्तूबर", 10}, {"अक्टूबर", 10},
    {"नवंबर", 11}, {"नवम्बर", 11}, {"दिसंबर", 12}, {"दिसम्बर", 12},
};

// Forms that the tokenizer would cut apart (dots, spaces inside one name),
// spelled out or joined first. Lower case.
struct Spelled {
  const char* from;
  const char* to;
};
// clang-format off
constexpr Spelled kSpelled[] = {
    {"a.m.", " am "}, {"p.m.", " pm "}, {"π.μ.", " am "}, {"μ.μ.", " pm "},
    {"לפנה״צ", " am "}, {"אחה״צ", " pm "}, {"לפנה\"צ", " am "}, {"אחה\"צ", " pm "},
    {"ق.ظ", " am "}, {"ب.ظ", " pm "},
    // Thai month abbreviations and the Buddhist era marker
    {"ม.ค.", " มกราคม "}, {"ก.พ.", " กุมภาพันธ์ "}, {"มี.ค.", " มีนาคม "}, {"เม.ย.", " เมษายน "},
    {"พ.ค.", " พฤษภาคม "}, {"มิ.ย.", " มิถุนายน "}, {"ก.ค.", " กรกฎาคม "}, {"ส.ค.", " สิงหาคม "},
    {"ก.ย.", " กันยายน "}, {"ต.ค.", " ตุลาคม "}, {"พ.ย.", " พฤศจิกายน "}, {"ธ.ค.", " ธันวาคม "},
    {"พ.ศ.", " พศ "},
    // Levantine Arabic two-word months
    {"كانون الثاني", " كانون_الثاني "}, {"كانون الأول", " كانون_الأول "},
    {"تشرين الأول", " تشرين_الأول "}, {"تشرين الثاني", " تشرين_الثاني "},
};
// clang-format on
// clang-format on

struct ZoneName {
  const char* name;  // lower case
  int offset_minutes;
};

// clang-format off
constexpr ZoneName kZones[] = {
    {"utc", 0},    {"gmt", 0},    {"est", -300}, {"edt", -240}, {"cst", -360},  {"cdt", -300},
    {"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420}, {"akst", -540}, {"akdt", -480},
    {"hst", -600}, {"cet", 60},   {"cest", 120}, {"mez", 60},   {"mesz", 120},  {"seč", 60},
    {"selč", 120}, {"eet", 120},  {"eest", 180}, {"oez", 120},  {"oesz", 180},  {"wet", 0},
    {"west", 60},  {"bst", 60},   {"msk", 180},  {"jst", 540},  {"kst", 540},   {"hkt", 480},
    {"sgt", 480},  {"aest", 600}, {"aedt", 660}, {"nzst", 720}, {"nzdt", 780},  {"brt", -180},
    {"ict", 420},  {"wib", 420},  {"pht", 480},
    {"غرينتش", 0},                                                                   // Arabic "GMT"
};
// clang-format on

// AM/PM markers; "a.m.", "π.μ.", "לפנה״צ"... are folded to "am"/"pm" first.
// clang-format off
constexpr const char* kAm[] = {"am", "午前", "上午", "오전", "vorm", "凌晨", "早上", "清晨",
                               "ก่อนเที่ยง", "पूर्वाह्न"};
constexpr const char* kPm[] = {"pm", "午後", "下午", "오후", "nachm", "晚上", "中午", "傍晚",
                               "หลังเที่ยง", "अपराह्न"};
// Markers that are also ordinary words or letters: they count only after a
// time ("10:00 ص", Vietnamese "10:00 SA"/"CH").
constexpr const char* kAmAfterTime[] = {"ص", "sa"};
constexpr const char* kPmAfterTime[] = {"م", "ch"};

// Year-counting eras: the year written is added to the base.
struct Era {
  const char* name;
  int base;  // the Gregorian year before the era's year 1
};
constexpr Era kEras[] = {
    {"令和", 2018}, {"平成", 1988}, {"昭和", 1925},  // Japanese
    {"民國", 1911}, {"民国", 1911},                  // Taiwan (Minguo)
};
// Thai Buddhist era: BE - 543 = CE. Years beyond the accepted range that
// fall inside it once converted are Buddhist-era years.
constexpr int kBuddhistEraOffset = 543;
// clang-format on

// Single CJK characters that label the number before them.
enum class Unit { kNone, kYear, kMonth, kDay };
Unit CjkUnit(gunichar c) {
  switch (c) {
    case 0x5E74:  // 年
    case 0xB144:  // 년
      return Unit::kYear;
    case 0x6708:  // 月
    case 0xC6D4:  // 월
      return Unit::kMonth;
    case 0x65E5:  // 日
    case 0xC77C:  // 일
    case 0x53F7:  // 号
      return Unit::kDay;
    default:
      return Unit::kNone;
  }
}

struct Token {
  enum Kind { kNum, kWord, kUnit, kSym } kind;
  std::string text;
  long value = 0;  // kNum
  Unit unit = Unit::kNone;
};

std::vector<Token> Tokenize(const std::string& s) {
  std::vector<Token> out;
  const char* p = s.c_str();
  const char* end = p + s.size();
  while (p < end) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c < 0x80) {
      if (g_ascii_isdigit(c)) {
        Token t{Token::kNum, {}};
        while (p < end && g_ascii_isdigit(*p) && t.text.size() < 9) t.text.push_back(*p++);
        while (p < end && g_ascii_isdigit(*p)) ++p;  // absurdly long numbers: ignore the rest
        t.value = std::stol(t.text);
        out.push_back(std::move(t));
      } else if (g_ascii_isalpha(c)) {
        Token t{Token::kWord, {}};
        while (p < end && (g_ascii_isalpha(*p) || static_cast<unsigned char>(*p) >= 0x80)) {
          if (static_cast<unsigned char>(*p) >= 0x80) {
            const gunichar u = g_utf8_get_char_validated(p, end - p);
            if (u == static_cast<gunichar>(-1) || u == static_cast<gunichar>(-2) ||
                !(g_unichar_isalpha(u) || g_unichar_ismark(u)) || CjkUnit(u) != Unit::kNone)
              break;
            const char* next = g_utf8_next_char(p);
            t.text.append(p, next);
            p = next;
          } else {
            t.text.push_back(*p++);
          }
        }
        out.push_back(std::move(t));
      } else {
        if (!g_ascii_isspace(c)) out.push_back({Token::kSym, std::string(1, static_cast<char>(c))});
        ++p;
      }
      continue;
    }
    const gunichar u = g_utf8_get_char_validated(p, end - p);
    if (u == static_cast<gunichar>(-1) || u == static_cast<gunichar>(-2)) {
      ++p;
      continue;
    }
    const char* next = g_utf8_next_char(p);
    if (Unit unit = CjkUnit(u); unit != Unit::kNone) {
      Token t{Token::kUnit, std::string(p, next)};
      t.unit = unit;
      out.push_back(std::move(t));
      p = next;
    } else if (g_unichar_isalpha(u)) {
      Token t{Token::kWord, {}};
      while (p < end) {
        const gunichar v = g_utf8_get_char_validated(p, end - p);
        if (v == static_cast<gunichar>(-1) || v == static_cast<gunichar>(-2)) break;
        if (!(v < 0x80 ? g_ascii_isalpha(static_cast<char>(v)) || v == '_'
                       : g_unichar_isalpha(v) || g_unichar_ismark(v)) ||
            CjkUnit(v) != Unit::kNone)
          break;
        const char* n2 = g_utf8_next_char(p);
        t.text.append(p, n2);
        p = n2;
      }
      out.push_back(std::move(t));
    } else {
      p = next;  // non-ASCII punctuation and spaces separate tokens
    }
  }
  return out;
}

int MonthOf(const std::string& w) {
  for (const MonthName& m : kMonths)
    if (w == m.name) return m.month;
  // Hebrew "בנובמבר" ("in November"): the prefix ב- before a month name.
  constexpr std::string_view kBet = "\xD7\x91";
  if (w.size() > kBet.size() + 2 && w.compare(0, kBet.size(), kBet) == 0) {
    const std::string rest = w.substr(kBet.size());
    for (const MonthName& m : kMonths)
      if (rest == m.name) return m.month;
  }
  return 0;
}

std::optional<int> EraBase(const std::string& w, bool* first_year) {
  for (const Era& e : kEras) {
    const std::string_view name(e.name);
    if (w == name) return e.base;
    if (w.size() == name.size() + 3 && w.compare(0, name.size(), name) == 0 &&
        w.compare(name.size(), 3, "\xE5\x85\x83") == 0) {  // 元 (first year)
      *first_year = true;
      return e.base;
    }
  }
  return std::nullopt;
}

// Digits of other scripts (Arabic-Indic, Persian, Devanagari, Thai,
// fullwidth) as ASCII; direction marks removed. Input is valid UTF-8.
std::string AsciiDigits(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  const char* p = in.c_str();
  const char* end = p + in.size();
  while (p < end) {
    const gunichar u = g_utf8_get_char(p);
    const char* next = g_utf8_next_char(p);
    int digit = -1;
    for (gunichar zero : {0x0660u, 0x06F0u, 0x0966u, 0x0E50u, 0xFF10u})
      if (u >= zero && u <= zero + 9) digit = static_cast<int>(u - zero);
    const bool mark = u == 0x200E || u == 0x200F || (u >= 0x202A && u <= 0x202E) ||
                      (u >= 0x2066 && u <= 0x2069) || u == 0x061C;
    if (digit >= 0)
      out.push_back(static_cast<char>('0' + digit));
    else if (mark)
      out.push_back(' ');
    else
      out.append(p, next);
    p = next;
  }
  return out;
}

std::optional<int> ZoneOf(const std::string& w) {
  for (const ZoneName& z : kZones)
    if (w == z.name) return z.offset_minutes;
  return std::nullopt;
}

template <std::size_t N>
bool In(const std::string& w, const char* const (&list)[N]) {
  for (const char* x : list)
    if (w == x) return true;
  return false;
}

bool IsSym(const std::vector<Token>& t, std::size_t i, char c) {
  return i < t.size() && t[i].kind == Token::kSym && t[i].text[0] == c;
}
bool IsNum(const std::vector<Token>& t, std::size_t i) {
  return i < t.size() && t[i].kind == Token::kNum;
}

// "+0200", "+02:00", "+2" after a sign at t[i].
std::optional<int> SignedOffset(const std::vector<Token>& t, std::size_t i, std::size_t* used) {
  if (!(IsSym(t, i, '+') || IsSym(t, i, '-')) || !IsNum(t, i + 1)) return std::nullopt;
  const int sign = t[i].text[0] == '-' ? -1 : 1;
  const Token& n = t[i + 1];
  int minutes = 0;
  *used = 2;
  if (n.text.size() == 4) {
    minutes = static_cast<int>(n.value / 100) * 60 + static_cast<int>(n.value % 100);
  } else if (n.text.size() <= 2) {
    minutes = static_cast<int>(n.value) * 60;
    if (IsSym(t, i + 2, ':') && IsNum(t, i + 3) && t[i + 3].text.size() == 2) {
      minutes += static_cast<int>(t[i + 3].value);
      *used = 4;
    }
  } else {
    return std::nullopt;
  }
  if (minutes > 14 * 60) return std::nullopt;
  return sign * minutes;
}

}  // namespace

std::int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

namespace {

// The scanner's state over one token list; each token either fills a field
// or is ignored.
class DateScanner {
 public:
  explicit DateScanner(const std::vector<Token>& t) : t_(t) {}

  void Scan() {
    for (std::size_t i = 0; i < t_.size(); ++i) {
      const Token& k = t_[i];
      if (k.kind == Token::kNum) {
        Number(i);
      } else if (k.kind == Token::kSym && (k.text == "+" || k.text == "-") && hour_ >= 0 &&
                 !zone_) {
        std::size_t used = 0;
        if (auto off = SignedOffset(t_, i, &used)) {
          zone_ = off;
          i += used - 1;
        }
      } else if (k.kind == Token::kUnit && k.unit == Unit::kYear && era_first_year_ && year_ < 0) {
        year_ = *era_ + 1;  // "令和元年"
      } else if (k.kind == Token::kWord) {
        Word(i);
      }
    }
  }

  std::optional<std::int64_t> Result(int default_offset_minutes) {
    if (have_numeric_) {
      const long a = numeric_[0], b = numeric_[1];
      const bool us = english_ampm_ && a <= 12 && b <= 31;
      if (a > 12 || (!us && b <= 12)) {
        day_ = static_cast<int>(a);
        month_ = static_cast<int>(b);
      } else {
        month_ = static_cast<int>(a);
        day_ = static_cast<int>(b);
      }
    }
    if (day_ == 0)
      for (long n : loose_)
        if (n >= 1 && n <= 31) {
          day_ = static_cast<int>(n);
          break;
        }
    if (year_ > 2200 && year_ - kBuddhistEraOffset >= 1970 && year_ - kBuddhistEraOffset <= 2200)
      year_ -= kBuddhistEraOffset;
    if (year_ < 1970 || year_ > 2200 || month_ < 1 || month_ > 12 || day_ < 1 || day_ > 31)
      return std::nullopt;
    int hour = hour_ < 0 ? 0 : hour_;
    if (pm_ && hour < 12) hour += 12;
    if (am_ && hour == 12) hour = 0;
    const int offset = zone_.value_or(default_offset_minutes);
    return DaysFromCivil(year_, month_, day_) * 86400 + hour * 3600 + minute_ * 60 + second_ -
           static_cast<std::int64_t>(offset) * 60;
  }

 private:
  // A time (hh:mm[:ss], hh.mm[.ss] after the date), a CJK-labelled number,
  // an all-numbers date, a year, or a day candidate.
  void Number(std::size_t& i) {
    const std::vector<Token>& t = t_;
    const Token& k = t[i];
    if (hour_ < 0 && IsSym(t, i + 1, ':') && IsNum(t, i + 2) && k.value < 24 &&
        t[i + 2].value < 60) {
      Time(i, ':');
      return;
    }
    // CJK: 2026年11月2日
    if (i + 1 < t.size() && t[i + 1].kind == Token::kUnit) {
      const Unit u = t[i + 1].unit;
      if (u == Unit::kYear) year_ = static_cast<int>(k.value) + (era_ && k.value < 200 ? *era_ : 0);
      if (u == Unit::kMonth) month_ = static_cast<int>(k.value);
      if (u == Unit::kDay) day_ = static_cast<int>(k.value);
      ++i;
      return;
    }
    // hh.mm[.ss] after the date (Danish/Finnish "kl. 14.25.08")
    if (year_ >= 0 && hour_ < 0 && IsSym(t, i + 1, '.') && IsNum(t, i + 2) &&
        t[i + 2].text.size() == 2 && k.value < 24 && t[i + 2].value < 60) {
      Time(i, '.');
      return;
    }
    // a/b/c, a.b.c, a-b-c (ISO when a has four digits)
    if (!have_numeric_ && year_ < 0 && IsNum(t, i + 2) && IsNum(t, i + 4) &&
        t[i + 1].kind == Token::kSym && t[i + 3].kind == Token::kSym &&
        t[i + 1].text == t[i + 3].text &&
        (t[i + 1].text == "/" || t[i + 1].text == "." || t[i + 1].text == "-")) {
      if (k.text.size() == 4) {
        year_ = static_cast<int>(k.value);
        month_ = static_cast<int>(t[i + 2].value);
        day_ = static_cast<int>(t[i + 4].value);
      } else {
        numeric_ = {k.value, t[i + 2].value, t[i + 4].value};
        have_numeric_ = true;
        year_ = static_cast<int>(t[i + 4].value);
        if (t[i + 4].text.size() <= 2) year_ += 2000;
      }
      i += 4;
      return;
    }
    if (k.text.size() == 4 && year_ < 0) {
      year_ = static_cast<int>(k.value);
      return;
    }
    loose_.push_back(k.value);
  }

  // hh<sep>mm[<sep>ss] at t[i]; with '.', the seconds need two digits.
  void Time(std::size_t& i, char sep) {
    hour_ = static_cast<int>(t_[i].value);
    minute_ = static_cast<int>(t_[i + 2].value);
    i += 2;
    if (IsSym(t_, i + 1, sep) && IsNum(t_, i + 2) &&
        (sep == ':' ? t_[i + 2].value < 61 : t_[i + 2].text.size() == 2)) {
      second_ = static_cast<int>(t_[i + 2].value);
      i += 2;
    }
  }

  // Eras, Vietnamese number words, AM/PM markers, months, zones; other
  // words (weekdays, "um", "à", "kl.") are ignored.
  void Word(std::size_t& i) {
    const std::vector<Token>& t = t_;
    const Token& k = t[i];
    if (auto base = EraBase(k.text, &era_first_year_)) {
      era_ = base;
      return;
    }
    // Vietnamese names months and weekdays by number: "Th 2, 9 thg 11, 2026",
    // "Thứ Hai, ngày 9 tháng 11 năm 2026".
    if ((k.text == "tháng" || k.text == "thg") && IsNum(t, i + 1) && t[i + 1].value <= 12) {
      month_ = static_cast<int>(t[++i].value);
      return;
    }
    if ((k.text == "thứ" || k.text == "th") && IsNum(t, i + 1) && t[i + 1].value <= 8 &&
        t[i + 1].text.size() == 1) {
      ++i;
      return;
    }
    if (k.text == "ngày" && IsNum(t, i + 1) && t[i + 1].value <= 31) {
      day_ = static_cast<int>(t[++i].value);
      return;
    }
    if (hour_ >= 0 && In(k.text, kAmAfterTime)) {
      am_ = true;
      return;
    }
    if (hour_ >= 0 && In(k.text, kPmAfterTime)) {
      pm_ = true;
      return;
    }
    if (int m = MonthOf(k.text); m != 0) {
      month_ = m;  // the last month word wins: a leading weekday may look like one ("mar.")
      return;
    }
    if (In(k.text, kAm) || In(k.text, kPm)) {
      (In(k.text, kAm) ? am_ : pm_) = true;
      english_ampm_ = english_ampm_ || k.text == "am" || k.text == "pm";
      return;
    }
    // A zone word counts after the time, or anywhere when an offset follows
    // it (Apple Mail in Chinese: "2026年11月9日 GMT+8 下午2:05:00").
    if (auto z = ZoneOf(k.text);
        z && (hour_ >= 0 || ((*z == 0) && (IsSym(t, i + 1, '+') || IsSym(t, i + 1, '-'))))) {
      zone_ = *z;
      std::size_t used = 0;
      if (k.text == "utc" || k.text == "gmt" || k.text == "غرينتش")
        if (auto off = SignedOffset(t, i + 1, &used)) {
          zone_ = off;
          i += used;
        }
    }
  }

  const std::vector<Token>& t_;
  int year_ = -1, month_ = 0, day_ = 0, hour_ = -1, minute_ = 0, second_ = 0;
  std::optional<int> zone_;
  bool am_ = false, pm_ = false, english_ampm_ = false;
  std::optional<int> era_;  // base year of a named era ("令和")
  bool era_first_year_ = false;
  std::array<long, 3> numeric_{};  // an all-numbers date, resolved once AM/PM is known
  bool have_numeric_ = false;
  std::vector<long> loose_;  // numbers not yet explained (day candidates)
};

}  // namespace

std::optional<std::int64_t> ParseForwardDate(std::string_view text, int default_offset_minutes) {
  if (text.size() > 512 || !g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr))
    return std::nullopt;
  gchar* low = g_utf8_strdown(text.data(), static_cast<gssize>(text.size()));
  std::string s = AsciiDigits(low);
  g_free(low);
  for (const Spelled& sp : kSpelled) {
    const std::string_view from(sp.from), to(sp.to);
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
      s.replace(at, from.size(), to);
  }
  const std::vector<Token> t = Tokenize(s);
  DateScanner scanner(t);
  scanner.Scan();
  return scanner.Result(default_offset_minutes);
}

}  // namespace mime
