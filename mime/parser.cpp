// mime::Parse: GMime does the MIME structure, RFC 2047/2231 and address
// parsing; this file walks the tree into a mime::Message.
#include <gmime/gmime.h>
#include <libxml/parser.h>

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/charset.h"
#include "mime/classify.h"
#include "mime/detail/glib_ptr.h"
#include "mime/detail/headers.h"
#include "mime/detail/parts.h"
#include "mime/html_text.h"
#include "mime/message.h"

namespace mime {
namespace {

// GMime reports damage through g_warning/g_critical too; the parser warning
// callback already records it per message, so the global noise is dropped
// instead of reaching stderr of a daemon.
void DropLog(const gchar*, GLogLevelFlags, const gchar*, gpointer) {}

constexpr std::size_t kMaxParseErrors = 64;

const char* WarningText(GMimeParserWarning code) {
  switch (code) {
    case GMIME_WARN_DUPLICATED_HEADER:
      return "duplicated header";
    case GMIME_WARN_DUPLICATED_PARAMETER:
      return "duplicated parameter";
    case GMIME_WARN_UNENCODED_8BIT_HEADER:
      return "unencoded 8-bit header";
    case GMIME_WARN_INVALID_CONTENT_TYPE:
      return "invalid Content-Type";
    case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
      return "invalid RFC 2047 header value";
    case GMIME_WARN_MALFORMED_MULTIPART:
      return "malformed multipart";
    case GMIME_WARN_TRUNCATED_MESSAGE:
      return "truncated message";
    case GMIME_WARN_MALFORMED_MESSAGE:
      return "malformed message";
    case GMIME_CRIT_INVALID_HEADER_NAME:
      return "invalid header name";
    case GMIME_CRIT_CONFLICTING_HEADER:
      return "conflicting header";
    case GMIME_CRIT_CONFLICTING_PARAMETER:
      return "conflicting parameter";
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
      return "multipart without boundary";
    case GMIME_WARN_INVALID_PARAMETER:
      return "invalid parameter";
    case GMIME_WARN_INVALID_ADDRESS_LIST:
      return "invalid address list";
    case GMIME_CRIT_NESTING_OVERFLOW:
      return "MIME nesting too deep";
    case GMIME_WARN_PART_WITHOUT_CONTENT:
      return "part without content";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      return "part without headers or content";
  }
  return "parser warning";
}

// Collects GMime's parser warnings for one Parse() call. Declared before any
// GMime object in Parse(): cloned parser options inside the message point here.
struct WarningSink {
  std::vector<std::string> errors;
  bool overflow = false;
};

void OnWarning(gint64 offset, GMimeParserWarning code, const gchar* item, gpointer user_data) {
  auto* sink = static_cast<WarningSink*>(user_data);
  // Repeated 8-bit header warnings on one message say nothing new.
  if (sink->errors.size() >= kMaxParseErrors) {
    sink->overflow = true;
    return;
  }
  std::string e = WarningText(code);
  if (item != nullptr && *item != 0) {
    std::string it = ToUtf8(item, "utf-8");
    if (it.size() > 80) it.resize(80);
    e += ": " + it;
  }
  if (offset >= 0) e += " (at byte " + std::to_string(offset) + ")";
  for (const std::string& seen : sink->errors)
    if (seen == e) return;
  sink->errors.push_back(std::move(e));
}

void TruncateUtf8(std::string* s, std::size_t max) {
  if (s->size() <= max) return;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>((*s)[cut]) & 0xC0) == 0x80) --cut;
  s->resize(cut);
}

std::string Lower(const char* s) {
  std::string out = s != nullptr ? s : "";
  for (char& c : out) c = g_ascii_tolower(c);
  return out;
}

TopLevelType TopType(GMimeMessage* m) {
  TopLevelType t;
  GMimeObject* part = g_mime_message_get_mime_part(m);
  if (part == nullptr) return t;
  GMimeContentType* ct = g_mime_object_get_content_type(part);
  if (ct == nullptr) return t;
  detail::GCharPtr mt(g_mime_content_type_get_mime_type(ct));
  t.mime_type = Lower(mt.get());
  t.report_type = Lower(g_mime_content_type_get_parameter(ct, "report-type"));
  return t;
}

// Fallback charsets for 8-bit header bytes: UTF-8 first, then the charset the
// sender used for the body (the usual legacy-mail habit), then windows-1252.
void SetFallbackCharsets(GMimeParserOptions* opts, const std::string& body_charset) {
  std::string hint = Lower(body_charset.c_str());
  const bool useful = !hint.empty() && hint != "utf-8" && hint != "us-ascii" &&
                      hint != "windows-1252" && hint != "iso-8859-1";
  const char* list[] = {"UTF-8", useful ? hint.c_str() : "windows-1252",
                        useful ? "windows-1252" : nullptr, nullptr};
  g_mime_parser_options_set_fallback_charsets(opts, list);  // copies the strings
}

// Where the header block ends: one past the blank line that closes it, or
// raw.size() when the input is all header. A line of only CRs is blank too
// (some Windows exporters write CR CR LF).
std::size_t HeaderEnd(std::string_view raw) {
  std::size_t start = 0;
  while (start < raw.size()) {
    const std::size_t nl = raw.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? raw.size() : nl;
    if (raw.find_first_not_of('\r', start) >= end && nl != std::string_view::npos) return nl + 1;
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return raw.size();
}

void Append(GByteArray* a, std::string_view s) {
  g_byte_array_append(a, reinterpret_cast<const guint8*>(s.data()), static_cast<guint>(s.size()));
}

// Appends `s` with every run of CRs before a LF reduced to one CR.
void AppendCollapsingCr(GByteArray* a, std::string_view s) {
  std::size_t from = 0;
  for (std::size_t pos = s.find("\r\r"); pos != std::string_view::npos; pos = s.find("\r\r", pos)) {
    std::size_t run = pos;
    while (run < s.size() && s[run] == '\r') ++run;
    if (run < s.size() && s[run] == '\n') {
      Append(a, s.substr(from, pos + 1 - from));  // keep one CR
      from = run;
    }
    pos = run;
  }
  Append(a, s.substr(from));
}

// Where real mail is damaged in ways GMime does not recover from, GMime
// parses a repaired copy, in a buffer it owns:
//  - a NUL in the header block would end the C string of a value (cutting
//    Subject or Message-ID short, so distinct Message-IDs collide): it
//    becomes U+FFFD;
//  - lines ending CR CR LF (written by some Windows exporters) hide the
//    blank line after the header and with it the body: CR runs before LF
//    become one CR, in the whole message when its first line has them;
//  - a header block cut without its final newline is refused by GMime:
//    the newline is added.
// Returns nullptr when the bytes need none of this (nearly always).
GByteArray* RepairedInput(std::string_view raw, std::vector<std::string>* notes) {
  const std::size_t first_nl = raw.find('\n');
  const bool doubled_cr = first_nl != std::string_view::npos && first_nl >= 2 &&
                          raw[first_nl - 1] == '\r' && raw[first_nl - 2] == '\r';
  const std::size_t hend = HeaderEnd(raw);
  std::string_view header = raw.substr(0, hend);
  const bool nul = header.find('\0') != std::string_view::npos;
  const bool cut = hend == raw.size() && !raw.empty() && raw.back() != '\n';
  if (!doubled_cr && !nul && !cut) return nullptr;

  GByteArray* a = g_byte_array_sized_new(static_cast<guint>(raw.size() + 2));
  std::size_t nuls = 0;
  std::string fixed;
  if (nul) {
    fixed.reserve(header.size() + 16);
    for (char c : header) {
      if (c == '\0') {
        fixed += "\xEF\xBF\xBD";
        ++nuls;
      } else {
        fixed += c;
      }
    }
    header = fixed;
  }
  if (doubled_cr) {
    AppendCollapsingCr(a, header);
    AppendCollapsingCr(a, raw.substr(hend));
    notes->push_back("lines end in CR CR LF: read as CR LF");
  } else {
    Append(a, header);
    Append(a, raw.substr(hend));
  }
  if (nuls > 0)
    notes->push_back(std::to_string(nuls) + " NUL byte(s) in the header replaced by U+FFFD");
  if (cut) {
    Append(a, "\n");
    notes->push_back("header block ends without a newline (message cut short?)");
  }
  return a;
}

// The caller's bytes as the GByteArray GMime reads, without copying them:
// taken with g_byte_array_new_take and stolen back (g_byte_array_steal)
// before the array is freed. The memory stream does not own the array
// (g_mime_stream_mem_set_owner FALSE) and the parser only reads, so GMime
// never writes, reallocates or frees the bytes. Parts' contents are
// substreams over the same array, so this must outlive every GMime object
// of the parse: declare it first.
class BorrowedArray {
 public:
  explicit BorrowedArray(std::string_view raw)
      : a_(g_byte_array_new_take(reinterpret_cast<guint8*>(const_cast<char*>(raw.data())),
                                 raw.size())) {}
  ~BorrowedArray() {
    gsize n = 0;
    (void)g_byte_array_steal(a_, &n);
    g_byte_array_unref(a_);
  }
  BorrowedArray(const BorrowedArray&) = delete;
  BorrowedArray& operator=(const BorrowedArray&) = delete;
  GByteArray* get() const { return a_; }

 private:
  GByteArray* a_;
};

}  // namespace

void Init() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_mime_init();
    xmlInitParser();
    for (const char* domain : {"GMime", "gmime"})
      g_log_set_handler(
          domain,
          static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION),
          DropLog, nullptr);
    // glibc unloads a gconv module when its last converter closes, and loads
    // it again (dlopen, several helper libraries) for the next message:
    // about a tenth of replay CPU on mixed mail (docs/BENCHMARKS.md). One
    // converter per common legacy charset, held for the process's life,
    // keeps the modules resident. Never closed, on purpose; a static array
    // so leak checkers see them as reachable.
    static constexpr const char* kResident[] = {"ISO-2022-JP",  "CP932",      "GB18030",
                                                "CP950",        "CP949",      "KOI8-R",
                                                "WINDOWS-1252", "ISO-8859-2", "ISO-8859-15"};
    [[maybe_unused]] static GIConv resident[std::size(kResident)];
    for (std::size_t i = 0; i < std::size(kResident); ++i) {
      resident[i] = g_iconv_open("UTF-8", kResident[i]);
    }
  });
}

util::Result<Message> Parse(std::string_view raw, const ParseOptions& opts) {
  if (raw.empty()) return util::Error(util::Code::kInvalidArgument, "empty message");
  Init();

  WarningSink sink;
  detail::ParserOptionsPtr popts(g_mime_parser_options_new());
  g_mime_parser_options_set_warning_callback(popts.get(), OnWarning, &sink);
  SetFallbackCharsets(popts.get(), "");

  // GMime reads the caller's bytes in place (a repaired copy when they need
  // it); parts stay substreams of them (persist-stream), so part contents
  // are not copied until decoded.
  std::vector<std::string> input_notes;
  GByteArray* repaired = RepairedInput(raw, &input_notes);
  std::optional<BorrowedArray> borrowed;
  if (repaired == nullptr) borrowed.emplace(raw);
  detail::GObjectPtr<GMimeStream> stream(
      g_mime_stream_mem_new_with_byte_array(repaired != nullptr ? repaired : borrowed->get()));
  // Owns (frees) a repaired copy; never the caller's bytes.
  g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream.get()), repaired != nullptr);
  detail::GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  detail::GObjectPtr<GMimeMessage> gm(g_mime_parser_construct_message(parser.get(), popts.get()));
  if (!gm || detail::TopLevelHeaderCount(gm.get()) == 0)
    return util::Error(util::Code::kInvalidArgument, "no header field found: not a message");

  Message msg;
  msg.parse_errors = std::move(input_notes);
  detail::PartWalker walker(opts, &msg);
  if (GMimeObject* top = g_mime_message_get_mime_part(gm.get()); top != nullptr)
    walker.Walk(top);
  else
    msg.parse_errors.push_back("message has no body");

  SetFallbackCharsets(popts.get(), walker.body_charset());
  detail::CollectRawHeaders(gm.get(), popts.get(), &msg);
  detail::DecodeHeaders(popts.get(), &msg);

  if (msg.body_text.empty() && msg.body_html.empty() && !walker.tnef_body().empty())
    msg.body_text = walker.tnef_body();
  if (msg.body_text.empty() && !msg.body_html.empty()) {
    HtmlTextOptions hopts;
    hopts.max_bytes = opts.max_body_text_bytes + 1;
    msg.body_text = HtmlToText(msg.body_html, hopts);
    msg.body_from_html = true;
  }
  if (msg.body_text.size() > opts.max_body_text_bytes) {
    TruncateUtf8(&msg.body_text, opts.max_body_text_bytes);
    msg.parse_errors.push_back("body text truncated to " +
                               std::to_string(opts.max_body_text_bytes) + " bytes");
  }
  walker.MarkReferencedImages();
  Classify(TopType(gm.get()), walker.signals(), &msg);

  // GMime's own warnings come first: they describe the structure.
  msg.parse_errors.insert(msg.parse_errors.begin(), sink.errors.begin(), sink.errors.end());
  if (sink.overflow) msg.parse_errors.push_back("further parser warnings omitted");
  return msg;
}

}  // namespace mime
