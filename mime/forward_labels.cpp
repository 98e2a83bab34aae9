// Vocabulary tables for forwarded header blocks. Sources: what Outlook
// (desktop, web, Mac), Gmail, Apple Mail/iOS, Thunderbird, Yahoo and a few
// others print in each language. Lower case; matching folds case.
#include "mime/detail/forward_labels.h"

#include <glib.h>

#include <unordered_map>
#include <vector>

#include "mime/detail/forward_clients.h"

namespace mime::detail {
namespace {

struct Label {
  const char* text;
  Field field;
};

// clang-format off
constexpr Label kLabels[] = {
    // English
    {"from", Field::kFrom}, {"to", Field::kTo}, {"cc", Field::kCc}, {"bcc", Field::kBcc},
    {"date", Field::kDate}, {"sent", Field::kDate}, {"subject", Field::kSubject},
    {"reply-to", Field::kReplyTo}, {"message-id", Field::kMessageId},
    {"sent at", Field::kDate}, {"sender", Field::kFrom},
    // German
    {"von", Field::kFrom}, {"an", Field::kTo}, {"kopie", Field::kCc},
    {"blindkopie", Field::kBcc}, {"datum", Field::kDate}, {"gesendet", Field::kDate},
    {"betreff", Field::kSubject}, {"antwort an", Field::kReplyTo},
    // French
    {"de", Field::kFrom}, {"à", Field::kTo}, {"pour", Field::kTo}, {"copie", Field::kCc},
    {"copie à", Field::kCc}, {"cci", Field::kBcc}, {"envoyé", Field::kDate},
    {"envoyé le", Field::kDate}, {"objet", Field::kSubject}, {"sujet", Field::kSubject},
    {"répondre à", Field::kReplyTo}, {"expéditeur", Field::kFrom},
    {"destinataire", Field::kTo},
    // Spanish
    {"para", Field::kTo}, {"cco", Field::kBcc}, {"fecha", Field::kDate},
    {"enviado", Field::kDate}, {"enviado el", Field::kDate}, {"asunto", Field::kSubject},
    {"responder a", Field::kReplyTo}, {"copia", Field::kCc}, {"remitente", Field::kFrom},
    // Italian
    {"da", Field::kFrom}, {"a", Field::kTo}, {"ccn", Field::kBcc}, {"inviato", Field::kDate},
    {"inviato il", Field::kDate}, {"data", Field::kDate}, {"oggetto", Field::kSubject},
    {"rispondi a", Field::kReplyTo}, {"mittente", Field::kFrom},
    // Portuguese
    {"enviada", Field::kDate}, {"enviada em", Field::kDate}, {"enviado em", Field::kDate},
    {"assunto", Field::kSubject}, {"cópia", Field::kCc},
    // Dutch
    {"van", Field::kFrom}, {"aan", Field::kTo}, {"verzonden", Field::kDate},
    {"onderwerp", Field::kSubject}, {"afzender", Field::kFrom},
    {"beantwoorden-aan", Field::kReplyTo},
    // Swedish
    {"från", Field::kFrom}, {"till", Field::kTo}, {"kopia", Field::kCc},
    {"skickat", Field::kDate}, {"skickades", Field::kDate}, {"ämne", Field::kSubject},
    {"hemlig kopia", Field::kBcc}, {"svara till", Field::kReplyTo},
    // Danish, Norwegian
    {"fra", Field::kFrom}, {"til", Field::kTo}, {"sendt", Field::kDate},
    {"dato", Field::kDate}, {"emne", Field::kSubject}, {"kopi", Field::kCc},
    {"kopi til", Field::kCc}, {"svar til", Field::kReplyTo},
    // Finnish
    {"lähettäjä", Field::kFrom}, {"vastaanottaja", Field::kTo}, {"lähetetty", Field::kDate},
    {"päivämäärä", Field::kDate}, {"päiväys", Field::kDate}, {"aihe", Field::kSubject},
    {"kopio", Field::kCc}, {"vastaanottajat", Field::kTo},
    // Polish
    {"od", Field::kFrom}, {"do", Field::kTo}, {"wysłano", Field::kDate},
    {"wysłane", Field::kDate}, {"temat", Field::kSubject}, {"dw", Field::kCc},
    {"udw", Field::kBcc}, {"nadawca", Field::kFrom}, {"adresat", Field::kTo},
    // Czech, Slovak
    {"komu", Field::kTo}, {"odesláno", Field::kDate}, {"předmět", Field::kSubject},
    {"odoslané", Field::kDate}, {"predmet", Field::kSubject}, {"kópia", Field::kCc},
    {"dátum", Field::kDate}, {"odesílatel", Field::kFrom},
    // Russian, Ukrainian
    {"от", Field::kFrom}, {"от кого", Field::kFrom}, {"кому", Field::kTo},
    {"копия", Field::kCc}, {"дата", Field::kDate}, {"отправлено", Field::kDate},
    {"тема", Field::kSubject}, {"отправитель", Field::kFrom}, {"від", Field::kFrom},
    {"надіслано", Field::kDate}, {"копія", Field::kCc},
    // Turkish
    {"kimden", Field::kFrom}, {"kime", Field::kTo}, {"bilgi", Field::kCc},
    {"gönderildi", Field::kDate}, {"gönderilme", Field::kDate}, {"tarih", Field::kDate},
    {"konu", Field::kSubject}, {"gönderen", Field::kFrom},
    // Hungarian, Romanian, Estonian
    {"feladó", Field::kFrom}, {"címzett", Field::kTo}, {"elküldve", Field::kDate},
    {"dátum", Field::kDate}, {"tárgy", Field::kSubject}, {"másolat", Field::kCc},
    {"de la", Field::kFrom}, {"către", Field::kTo}, {"trimis", Field::kDate},
    {"subiect", Field::kSubject}, {"saatja", Field::kFrom}, {"saaja", Field::kTo},
    {"kuupäev", Field::kDate}, {"teema", Field::kSubject},
    // Croatian, Hungarian, Romanian, Slovak, Ukrainian extras
    {"šalje", Field::kFrom}, {"prima", Field::kTo}, {"naslov", Field::kSubject},
    {"másolatot kap", Field::kCc}, {"expeditorul", Field::kFrom},
    {"subiectul", Field::kSubject}, {"dată", Field::kDate}, {"destinatarul", Field::kTo},
    {"pre", Field::kTo}, {"від кого", Field::kFrom}, {"відправлено", Field::kDate},
    {"kopie (cc)", Field::kCc}, {"gönderilen", Field::kDate}, {"送信先", Field::kTo},
    {"cc/bcc", Field::kCc},
    // Japanese
    {"差出人", Field::kFrom}, {"送信者", Field::kFrom}, {"宛先", Field::kTo}, {"送信日時", Field::kDate},
    {"日付", Field::kDate}, {"件名", Field::kSubject}, {"送信元", Field::kFrom},
    // Chinese
    {"发件人", Field::kFrom}, {"寄件者", Field::kFrom}, {"寄件人", Field::kFrom}, {"收件人", Field::kTo},
    {"收件者", Field::kTo}, {"抄送", Field::kCc}, {"副本", Field::kCc}, {"发送时间", Field::kDate},
    {"日期", Field::kDate}, {"時間", Field::kDate}, {"主题", Field::kSubject},
    {"主旨", Field::kSubject}, {"發件人", Field::kFrom}, {"收件人", Field::kTo},
    {"發送時間", Field::kDate}, {"主題", Field::kSubject},
    // Korean
    {"보낸 사람", Field::kFrom}, {"보낸사람", Field::kFrom}, {"받는 사람", Field::kTo},
    {"받는사람", Field::kTo}, {"참조", Field::kCc}, {"보낸 날짜", Field::kDate}, {"날짜", Field::kDate},
    {"제목", Field::kSubject},
};
// clang-format on

// Lower-case phrases (spaces collapsed) found on separator lines.
// clang-format off
constexpr const char* kForwardPhrases[] = {
    "forwarded message", "forwarded email", "forwarded e-mail", "begin forwarded message",
    "forward message", "weitergeleitete nachricht", "anfang der weitergeleiteten nachricht",
    "weitergeleitete e-mail", "message transféré", "message transmis",
    "début du message réexpédié", "début du message transféré", "e-mail transféré",
    "mensaje reenviado", "inicio del mensaje reenviado", "comienzo del mensaje reenviado",
    "messaggio inoltrato", "inizio messaggio inoltrato", "messaggio inoltrato",
    "mensagem encaminhada", "início da mensagem reencaminhada",
    "início da mensagem encaminhada", "doorgestuurd bericht", "begin doorgestuurd bericht",
    "vidarebefordrat meddelande", "vidarebefordrat mejl", "vidarebefordrat brev",
    "början på vidarebefordrat meddelande", "videresendt meddelelse", "videresendt besked",
    "videresendt melding", "videresendt e-post", "start på videresendt besked",
    "videresendt e-mail", "välitetty viesti", "edelleenlähetetty viesti",
    "välitetty viesti alkaa", "przekazana wiadomość", "wiadomość przekazana",
    "początek przekazywanej wiadomości", "przesłana wiadomość", "přeposlaná zpráva",
    "začátek přeposlané zprávy", "preposlaná správa", "začiatok preposlanej správy",
    "пересылаемое сообщение", "пересланное сообщение", "начало переадресованного сообщения",
    "переслане повідомлення", "початок листа, що пересилається", "iletilen ileti",
    "iletilmiş ileti", "iletilen mesaj", "başlangıç: iletilen ileti", "továbbított üzenet",
    "továbbított levél", "mesaj redirecționat", "mesaj transmis", "edasisaadetud kiri",
    "転送されたメッセージ", "転送メッセージ", "転送済みのメッセージ", "转发的邮件", "转发邮件", "轉寄的郵件", "已转发邮件", "전달된 메시지",
    "전달된 메일", "forwarded message:", "forwarded by", "začátek přeposílané zprávy",
    "započni proslijeđenu poruku", "proslijeđena poruka", "továbbított levél kezdete",
    "începe mesajul redirecționat", "i̇leti başlangıcı", "メッセージを転送",
    "wiadomość przesłana dalej", "välitetty viesti / fwd.msg", "treść przekazanej wiadomości",
    "mensagem reencaminhada", "перенаправленное сообщение", "i̇letilen i̇leti",
    "i̇letilmiş mesaj", "перенаправлене повідомлення",
};
// clang-format on

// clang-format off
constexpr const char* kAmbiguousPhrases[] = {
    "original message", "ursprüngliche nachricht", "originalnachricht", "message d'origine",
    "message d’origine", "message original", "mensaje original", "messaggio originale",
    "mensagem original", "oorspronkelijk bericht", "origineel bericht", "originalmeddelande",
    "ursprungligt meddelande", "oprindelig meddelelse", "opprinnelig melding",
    "alkuperäinen viesti", "oryginalna wiadomość", "wiadomość oryginalna", "původní zpráva",
    "pôvodná správa", "исходное сообщение", "оригинальное сообщение",
    "оригінальне повідомлення", "özgün ileti", "özgün i̇leti", "orijinal mesaj", "eredeti üzenet",
    "mesaj original", "元のメッセージ", "原始邮件", "原始郵件", "원본 메시지", "原文",
};
// clang-format on

// clang-format off
constexpr const char* kWroteVerbs[] = {
    "wrote", "schrieb",   "a écrit",    "escribió", "ha scritto", "escreveu", "schreef",
    "skrev", "kirjoitti", "napisał",    "napsal",   "написал",    "написала", "написал(а)",
    "yazdı", "írta",      "a scris",    "napísal",  "написав",    "kirjutas", "書きました",
    "写道",  "작성",      "geschreven", "napísal",  "yazdı",      "ezt írta",
};
// clang-format on

// clang-format off
constexpr const char* kForwardPrefixes[] = {
    "fwd",        "fw",     "fwrd",      "wg",      "tr",          "trs",        "rv",
    "reenv",      "i",      "inoltro",   "enc",     "encaminhado", "doorst",     "vb",
    "vs",         "vl",     "vid",       "pd",      "pdl",         "přeposl",    "fs",
    "továbbítás", "tov",    "ilt",       "i̇lt",     "转发",        "轉寄",       "転送",
    "전달",       "пересл", "переслать", "forward", "redir.",      "videresend", "weiterl"};
    constexpr const char* kReplyPrefixes[] = {
    "re", "aw",  "sv",  "antw",  "antwort", "odp",  "r",    "rif",  "res",  "resp", "ynt",
    "vá", "atb", "отв", "ответ", "відп",    "回复", "回覆", "答复", "返信", "답장", "ref",
    "رد", "השב", "תשובה", "απ", "σχετ", "ตอบกลับ", "tl", "trả lời", "bls", "balas", "회신",
    "odg", "отг", "ats", "vast",
};
// clang-format on

bool IsDecoration(char c) {
  return c == '-' || c == '_' || c == '=' || c == '*' || c == '~' || c == ' ' || c == '\t' ||
         c == '<' || c == '>' || c == '#';
}

std::string CollapseSpaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

template <std::size_t N>
bool InList(std::string_view w, const char* const (&list)[N]) {
  for (const char* x : list)
    if (w == x) return true;
  return false;
}

// The prefix token at the start of `s` ("Fwd", "AW", "转发") and where the text
// after its colon starts; nullopt when `s` starts with no "word:" prefix.
std::optional<std::pair<std::string, std::size_t>> PrefixToken(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && i < 40 && s[i] != ':' && s[i] != ' ' && s[i] != '[' && s[i] != '(' &&
         s.substr(i, 3) != "\xEF\xBC\x9A")  // fullwidth colon
    ++i;
  if (i == 0 || i >= s.size()) return std::nullopt;
  std::string word = Lower(s.substr(0, i));
  std::size_t j = i;
  if (s[j] == '[' || s[j] == '(') {  // "Re[2]:", "Fwd(3):"
    const char close = s[j] == '[' ? ']' : ')';
    std::size_t k = j + 1;
    while (k < s.size() && g_ascii_isdigit(s[k])) ++k;
    if (k == j + 1 || k >= s.size() || s[k] != close) return std::nullopt;
    j = k + 1;
  }
  while (j < s.size() && s[j] == ' ') ++j;  // French "TR :"
  if (j < s.size() && s[j] == ':') return std::pair{word, j + 1};
  if (s.substr(j, 3) == "\xEF\xBC\x9A") return std::pair{word, j + 3};
  return std::nullopt;
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The lists above merged with the per-client tables of forward_clients.cpp,
// lower-cased once.
struct Vocabulary {
  std::unordered_map<std::string, Field> labels;
  std::vector<std::string> label_list;  // for ForEachLabel
  std::vector<const char*> label_ptrs;
  std::vector<std::string> forward, ambiguous, end, prefixes;
};

template <typename Fn>
void EachAlternative(const char* list, Fn fn) {
  std::string_view s(list);
  while (!s.empty()) {
    const std::size_t bar = s.find('|');
    const std::string_view one = TrimView(s.substr(0, bar));
    if (!one.empty()) fn(std::string(one));
    if (bar == std::string_view::npos) break;
    s.remove_prefix(bar + 1);
  }
}

Vocabulary BuildVocabulary() {
  Vocabulary v;
  auto add_label = [&](const std::string& text, Field f) {
    std::string low = Lower(CollapseSpaces(text));
    if (v.labels.emplace(low, f).second) v.label_list.push_back(low);
  };
  for (const Label& l : kLabels) add_label(l.text, l.field);
  for (const char* p : kForwardPhrases) v.forward.push_back(p);
  for (const char* p : kAmbiguousPhrases) v.ambiguous.push_back(p);
  for (const char* p : kForwardPrefixes) v.prefixes.push_back(p);
  std::size_t n = 0;
  const ClientFamily* families = ClientFamilies(&n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t r = 0; r < families[i].count; ++r) {
      const ClientLocale& c = families[i].rows[r];
      EachAlternative(c.from, [&](const std::string& t) { add_label(t, Field::kFrom); });
      EachAlternative(c.date, [&](const std::string& t) { add_label(t, Field::kDate); });
      EachAlternative(c.to, [&](const std::string& t) { add_label(t, Field::kTo); });
      EachAlternative(c.cc, [&](const std::string& t) { add_label(t, Field::kCc); });
      EachAlternative(c.subject, [&](const std::string& t) { add_label(t, Field::kSubject); });
      auto lower_into = [](std::vector<std::string>* out) {
        return [out](const std::string& t) { out->push_back(Lower(CollapseSpaces(t))); };
      };
      EachAlternative(c.forward, lower_into(&v.forward));
      EachAlternative(c.original, lower_into(&v.ambiguous));
      EachAlternative(c.end, lower_into(&v.end));
      EachAlternative(c.prefix, lower_into(&v.prefixes));
    }
  }
  for (const std::string& l : v.label_list) v.label_ptrs.push_back(l.c_str());
  return v;
}

const Vocabulary& Vocab() {
  static const Vocabulary v = BuildVocabulary();
  return v;
}

bool InVector(std::string_view w, const std::vector<std::string>& list) {
  for (const std::string& x : list)
    if (w == x) return true;
  return false;
}

}  // namespace

std::string Lower(std::string_view s) {
  if (!g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr)) {
    std::string out(s);
    for (char& c : out) c = g_ascii_tolower(c);
    return out;
  }
  gchar* low = g_utf8_strdown(s.data(), static_cast<gssize>(s.size()));
  std::string out = low;
  g_free(low);
  return out;
}

std::optional<Field> LabelField(std::string_view label) {
  std::string l;
  for (char c : label)
    if (c != '*') l.push_back(c);
  l = Lower(CollapseSpaces(TrimView(l)));
  if (l.empty() || l.size() > 60) return std::nullopt;
  const auto& labels = Vocab().labels;
  const auto it = labels.find(l);
  if (it == labels.end()) return std::nullopt;
  return it->second;
}

Separator MatchSeparator(std::string_view line) {
  Separator sep;
  std::string_view s = TrimView(line);
  if (s.size() > 2000) return sep;
  std::size_t underscores = 0;
  for (char c : s) underscores += c == '_';
  if (underscores >= 8 && underscores == s.size()) {
    sep.kind = SeparatorKind::kAmbiguous;
    return sep;
  }
  // Decoration, a phrase, decoration, optional colon; maybe the block runs on.
  std::size_t a = 0;
  while (a < s.size() && IsDecoration(s[a])) ++a;
  // Lower-case char by char, remembering where each lowered byte came from:
  // some letters change length ("İ" -> "i̇").
  std::string low;
  std::vector<std::size_t> origin;
  for (std::size_t i = a; i < s.size();) {
    std::size_t n = 1;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xC0) n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (i + n > s.size()) n = s.size() - i;
    const std::string piece = Lower(s.substr(i, n));
    for (std::size_t k = 0; k < piece.size(); ++k) origin.push_back(i);
    low += piece;
    i += n;
  }
  origin.push_back(s.size());
  auto try_list = [&](const auto& list, SeparatorKind kind) {
    std::size_t best = 0;
    for (const std::string& p : list) {
      const std::string_view ph(p);
      if (ph.size() > best && low.compare(0, ph.size(), ph) == 0) best = ph.size();
    }
    if (best == 0) return false;
    const std::size_t b = origin[best];
    std::size_t decorated = b;
    while (decorated < s.size()) {  // decoration and colons, ASCII or fullwidth
      if (IsDecoration(s[decorated]) || s[decorated] == ':') {
        ++decorated;
      } else if (s.compare(decorated, 3, "\xEF\xBC\x9A") == 0) {
        decorated += 3;
      } else {
        break;
      }
    }
    std::string_view rest = TrimView(s.substr(decorated));
    // "-------- Välitetty viesti / Fwd.Msg --------": a decorated line whose
    // tail is more words and the closing rule.
    if (a > 0 && rest.size() >= 3 && rest.substr(rest.size() - 3) == "---" &&
        rest.find(':') == std::string_view::npos && rest.size() < 80)
      rest = {};
    // A phrase inside prose ("the forwarded message below") is no separator:
    // it must stand alone, be decorated, or end with a colon.
    const bool decorated_line = a > 0 || decorated > b;
    if (!rest.empty() && a == 0) return false;
    if (rest.empty() && !decorated_line && b != s.size()) return false;
    sep.kind = kind;
    sep.rest = std::string(rest);
    return true;
  };
  if (try_list(Vocab().forward, SeparatorKind::kForward)) return sep;
  if (try_list(Vocab().ambiguous, SeparatorKind::kAmbiguous)) return sep;
  return Separator{};
}

bool IsWroteLine(std::string_view line) {
  std::string_view s = TrimView(line);
  if (s.size() < 8 || s.size() > 400) return false;
  if (s.find('@') == std::string_view::npos) return false;
  const std::string low = Lower(s);
  const bool colon = low.back() == ':' || low.find("\xEF\xBC\x9A") == low.size() - 3;
  if (!colon) return false;
  for (const char* v : kWroteVerbs)
    if (low.find(v) != std::string::npos) return true;
  return false;
}

// Prefixes of several words (Arabic Outlook's "إعادة توجيه:", Polish "Podaj
// dalej:"): the length of the prefix and its colon, 0 when none matches.
std::size_t MultiWordPrefix(std::string_view s) {
  const std::string low = Lower(s.substr(0, std::min<std::size_t>(s.size(), 80)));
  if (low.size() != std::min<std::size_t>(s.size(), 80)) return 0;  // lengths must agree
  for (const std::string& p : Vocab().prefixes) {
    if (p.find(' ') == std::string::npos || low.compare(0, p.size(), p) != 0) continue;
    std::size_t j = p.size();
    while (j < low.size() && low[j] == ' ') ++j;
    if (j < low.size() && low[j] == ':') return j + 1;
    if (low.compare(j, 3, "\xEF\xBC\x9A") == 0) return j + 3;
  }
  return 0;
}

bool HasForwardPrefix(std::string_view subject) {
  std::string_view s = TrimView(subject);
  if (!s.empty() && s.front() == '[') {
    s.remove_prefix(1);
    s = TrimView(s);
  }
  if (MultiWordPrefix(s) > 0) return true;
  auto tok = PrefixToken(s);
  if (tok) return InVector(tok->first, Vocab().prefixes);
  const std::string low = Lower(s.substr(0, 8));
  return low.rfind("fwd ", 0) == 0 || low.rfind("(fwd)", 0) == 0;
}

bool HasReplyPrefix(std::string_view subject) {
  auto tok = PrefixToken(TrimView(subject));
  return tok && InList(tok->first, kReplyPrefixes);
}

std::string StripForwardPrefixes(std::string_view subject) {
  std::string_view s = TrimView(subject);
  for (int guard = 0; guard < 32; ++guard) {
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') {
      std::string_view inner = TrimView(s.substr(1, s.size() - 2));
      if (HasForwardPrefix(inner)) {
        s = inner;
        continue;
      }
    }
    if (const std::size_t n = MultiWordPrefix(s); n > 0) {
      s = TrimView(s.substr(n));
      continue;
    }
    auto tok = PrefixToken(s);
    if (tok && InVector(tok->first, Vocab().prefixes)) {
      s = TrimView(s.substr(tok->second));
      continue;
    }
    if (Lower(s.substr(0, 5)) == "(fwd)") {
      s = TrimView(s.substr(5));
      continue;
    }
    break;
  }
  return std::string(s);
}

const char* const* AllLabels(std::size_t* count) {
  const std::vector<const char*>& all = Vocab().label_ptrs;
  *count = all.size();
  return all.data();
}

bool IsEndMarker(std::string_view line) {
  std::string_view s = TrimView(line);
  if (s.empty() || s.size() > 200) return false;
  std::size_t a = 0, b = s.size();
  while (a < b && IsDecoration(s[a])) ++a;
  while (b > a && (IsDecoration(s[b - 1]) || s[b - 1] == ':' || s[b - 1] == '.')) --b;
  if (a == b) return false;
  const std::string low = Lower(CollapseSpaces(s.substr(a, b - a)));
  return InVector(low, Vocab().end);
}

}  // namespace mime::detail
