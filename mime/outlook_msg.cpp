// Outlook .msg reader (MS-OXMSG). The CFB container is opened with libgsf;
// MAPI properties live in two places:
//  - variable-length values in streams "__substg1.0_IIIITTTT" (property id
//    and type in hex: 0037001F is PR_SUBJECT as UTF-16LE);
//  - fixed-length values (times, integers) in the "__properties_version1.0"
//    stream: a header (32 bytes at the top, 24 in an embedded message, 8 in
//    recipient and attachment storages), then 16-byte entries: tag, flags,
//    8-byte value.
// Recipients are storages "__recip_version1.0_#XXXXXXXX", attachments
// "__attach_version1.0_#XXXXXXXX".
#include "mime/outlook_msg.h"

#include <glib.h>
#include <gsf/gsf.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mime/charset.h"
#include "mime/html_text.h"
#include "util/sha256.h"

namespace mime {
namespace {

struct Unref {
  void operator()(gpointer p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
using InputPtr = std::unique_ptr<GsfInput, Unref>;
using InfilePtr = std::unique_ptr<GsfInfile, Unref>;

// Property ids (MS-OXPROPS).
constexpr std::uint16_t kSubject = 0x0037;
constexpr std::uint16_t kClientSubmitTime = 0x0039;
constexpr std::uint16_t kSentRepresentingName = 0x0042;
constexpr std::uint16_t kSentRepresentingEmail = 0x0065;
constexpr std::uint16_t kSentRepresentingAddrType = 0x0064;
constexpr std::uint16_t kTransportHeaders = 0x007D;
constexpr std::uint16_t kRecipientType = 0x0C15;
constexpr std::uint16_t kSenderName = 0x0C1A;
constexpr std::uint16_t kSenderAddrType = 0x0C1E;
constexpr std::uint16_t kSenderEmail = 0x0C1F;
constexpr std::uint16_t kDisplayCc = 0x0E03;
constexpr std::uint16_t kDisplayTo = 0x0E04;
constexpr std::uint16_t kDeliveryTime = 0x0E06;
constexpr std::uint16_t kBody = 0x1000;
constexpr std::uint16_t kHtml = 0x1013;
constexpr std::uint16_t kInternetMessageId = 0x1035;
constexpr std::uint16_t kDisplayName = 0x3001;
constexpr std::uint16_t kAddrType = 0x3002;
constexpr std::uint16_t kEmailAddress = 0x3003;
constexpr std::uint16_t kAttachDataBin = 0x3701;
constexpr std::uint16_t kAttachFilename = 0x3704;
constexpr std::uint16_t kAttachMethod = 0x3705;
constexpr std::uint16_t kAttachLongFilename = 0x3707;
constexpr std::uint16_t kAttachMimeTag = 0x370E;
constexpr std::uint16_t kAttachContentId = 0x3712;
constexpr std::uint16_t kSmtpAddress = 0x39FE;
constexpr std::uint16_t kInternetCodepage = 0x3FDE;
constexpr std::uint16_t kMessageCodepage = 0x3FFD;
constexpr std::uint16_t kSenderSmtp = 0x5D01;
constexpr std::uint16_t kSentRepresentingSmtp = 0x5D02;

// Property types.
constexpr std::uint16_t kTypeLong = 0x0003;
constexpr std::uint16_t kTypeString8 = 0x001E;
constexpr std::uint16_t kTypeUnicode = 0x001F;
constexpr std::uint16_t kTypeSystime = 0x0040;
constexpr std::uint16_t kTypeBinary = 0x0102;

constexpr std::size_t kMaxPropertyEntries = 1 << 16;
constexpr int kMaxChildren = 1 << 14;

void DropLog(const gchar*, GLogLevelFlags, const gchar*, gpointer) {}

void InitGsf() {
  static std::once_flag once;
  std::call_once(once, [] {
    gsf_init();
    // libgsf reports damaged containers through g_warning and g_critical
    // (its own domains, and the default domain for "Unable to get child");
    // the reader returns an error or skips the stream instead. No other
    // library in deskmail logs through GLib's default domain.
    const auto all =
        static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION);
    for (const char* domain : {"libgsf", "libgsf:msole"})
      g_log_set_handler(domain, all, DropLog, nullptr);
    g_log_set_handler(nullptr, static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING), DropLog, nullptr);
  });
}

// PT_UNICODE values; unpaired surrogates become U+FFFD.
std::string Utf16LeToUtf8(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  auto unit = [&](std::size_t i) {
    return static_cast<gunichar>(static_cast<unsigned char>(in[i]) |
                                 (static_cast<unsigned char>(in[i + 1]) << 8));
  };
  for (std::size_t i = 0; i + 1 < in.size(); i += 2) {
    gunichar c = unit(i);
    if (c >= 0xD800 && c <= 0xDBFF && i + 3 < in.size() && unit(i + 2) >= 0xDC00 &&
        unit(i + 2) <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (unit(i + 2) - 0xDC00);
      i += 2;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    char buf[6];
    out.append(buf, static_cast<std::size_t>(g_unichar_to_utf8(c, buf)));
  }
  return out;
}

std::uint32_t Le32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}
std::uint64_t Le64(const std::string& s, std::size_t at) {
  return static_cast<std::uint64_t>(Le32(s, at)) |
         (static_cast<std::uint64_t>(Le32(s, at + 4)) << 32);
}

// Reads streams under the limits; one per storage being read.
class Reader {
 public:
  explicit Reader(const MsgLimits& limits) : limits_(limits), budget_(limits.max_total_bytes) {}

  std::optional<std::string> Stream(GsfInfile* dir, const std::string& name) {
    InputPtr in(gsf_infile_child_by_name(dir, name.c_str()));
    if (!in) return std::nullopt;
    if (GSF_IS_INFILE(in.get()) && gsf_infile_num_children(GSF_INFILE(in.get())) >= 0)
      return std::nullopt;  // a storage, not a stream
    const gsf_off_t size = gsf_input_size(in.get());
    if (size < 0 || static_cast<std::uint64_t>(size) > limits_.max_stream_bytes ||
        static_cast<std::uint64_t>(size) > budget_)
      return std::nullopt;
    std::string out(static_cast<std::size_t>(size), '\0');
    if (size > 0 &&
        gsf_input_read(in.get(), out.size(), reinterpret_cast<guint8*>(out.data())) == nullptr)
      return std::nullopt;
    budget_ -= out.size();
    return out;
  }

  // Fixed-size properties of a storage, by id: {type, 8-byte value}.
  std::map<std::uint16_t, std::pair<std::uint16_t, std::uint64_t>> Fixed(GsfInfile* dir,
                                                                         std::size_t header) {
    std::map<std::uint16_t, std::pair<std::uint16_t, std::uint64_t>> out;
    const std::optional<std::string> s = Stream(dir, "__properties_version1.0");
    if (!s) return out;
    for (std::size_t at = header, n = 0; at + 16 <= s->size() && n < kMaxPropertyEntries;
         at += 16, ++n) {
      const std::uint32_t tag = Le32(*s, at);
      out.emplace(static_cast<std::uint16_t>(tag >> 16),
                  std::pair{static_cast<std::uint16_t>(tag & 0xFFFF), Le64(*s, at + 8)});
    }
    return out;
  }

  std::optional<std::string> Binary(GsfInfile* dir, std::uint16_t id) {
    return Stream(dir, Name(id, kTypeBinary));
  }

  // PT_UNICODE, else PT_STRING8 in `codepage`; "" when absent.
  std::string String(GsfInfile* dir, std::uint16_t id, const std::string& codepage) {
    if (std::optional<std::string> u = Stream(dir, Name(id, kTypeUnicode)))
      return StripNul(Utf16LeToUtf8(*u));
    if (std::optional<std::string> a = Stream(dir, Name(id, kTypeString8)))
      return StripNul(ToUtf8(*a, codepage));
    return {};
  }

  std::size_t max_recipients() const { return limits_.max_recipients; }
  std::size_t max_attachments() const { return limits_.max_attachments; }

 private:
  static std::string Name(std::uint16_t id, std::uint16_t type) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "__substg1.0_%04X%04X", id, type);
    return buf;
  }
  static std::string StripNul(std::string s) {
    const std::size_t nul = s.find('\0');
    if (nul != std::string::npos) s.resize(nul);
    return s;
  }

  const MsgLimits& limits_;
  std::uint64_t budget_;
};

using FixedProps = std::map<std::uint16_t, std::pair<std::uint16_t, std::uint64_t>>;

std::optional<std::uint64_t> FixedValue(const FixedProps& p, std::uint16_t id, std::uint16_t type) {
  const auto it = p.find(id);
  if (it == p.end() || it->second.first != type) return std::nullopt;
  return it->second.second;
}

// Windows code page number -> iconv/MIME charset label.
std::string CodepageLabel(const FixedProps& p) {
  std::optional<std::uint64_t> cp = FixedValue(p, kMessageCodepage, kTypeLong);
  if (!cp) cp = FixedValue(p, kInternetCodepage, kTypeLong);
  const std::uint32_t n = cp ? static_cast<std::uint32_t>(*cp) : 1252;
  switch (n) {
    case 65001:
      return "utf-8";
    case 20127:
      return "us-ascii";
    case 932:
      return "shift_jis";
    case 936:
      return "gb18030";
    case 949:
      return "euc-kr";
    case 950:
      return "big5";
    case 20866:
      return "koi8-r";
    case 21866:
      return "koi8-u";
    case 50220:
    case 50221:
    case 50222:
      return "iso-2022-jp";
    case 51932:
      return "euc-jp";
    default:
      if (n >= 28591 && n <= 28605) return "iso-8859-" + std::to_string(n - 28590);
      return "windows-" + std::to_string(n);
  }
}

// FILETIME (100 ns since 1601-01-01) -> Unix seconds.
std::optional<std::int64_t> FileTime(std::optional<std::uint64_t> ft) {
  if (!ft || *ft == 0) return std::nullopt;
  const std::int64_t secs = static_cast<std::int64_t>(*ft / 10000000ULL) - 11644473600LL;
  if (secs < 0 || secs > 7258118400LL) return std::nullopt;  // before 1970 or after 2200
  return secs;
}

bool IsStorage(GsfInput* in) {
  return GSF_IS_INFILE(in) && gsf_infile_num_children(GSF_INFILE(in)) >= 0;
}

// An address from an SMTP property, else from an address property whose
// type is SMTP (an "EX" type holds an Exchange DN, not an address).
std::string SmtpOf(const std::string& smtp, const std::string& type, const std::string& addr) {
  if (!smtp.empty()) return smtp;
  if (addr.find('@') != std::string::npos &&
      (type.empty() || g_ascii_strcasecmp(type.c_str(), "SMTP") == 0))
    return addr;
  return {};
}

// "Jane Roe; Bob" from PR_DISPLAY_TO: names only.
std::vector<Address> DisplayList(const std::string& s) {
  std::vector<Address> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t semi = s.find(';', start);
    if (semi == std::string::npos) semi = s.size();
    std::string name = s.substr(start, semi - start);
    const std::size_t a = name.find_first_not_of(' ');
    const std::size_t b = name.find_last_not_of(' ');
    if (a != std::string::npos) {
      name = name.substr(a, b - a + 1);
      Address addr;
      if (name.find('@') != std::string::npos && name.find(' ') == std::string::npos)
        addr.address = name;
      else
        addr.name = name;
      out.push_back(std::move(addr));
    }
    start = semi + 1;
  }
  return out;
}

void ReadRecipients(Reader& r, GsfInfile* top, const std::string& cp, Message* m) {
  const int n = std::min(gsf_infile_num_children(top), kMaxChildren);
  std::size_t seen = 0;
  for (int i = 0; i < n && seen < r.max_recipients(); ++i) {
    const char* name = gsf_infile_name_by_index(top, i);
    if (name == nullptr || std::string_view(name).rfind("__recip_version1.0_", 0) != 0) continue;
    InputPtr child(gsf_infile_child_by_index(top, i));
    if (!child || !IsStorage(child.get())) continue;
    ++seen;
    GsfInfile* dir = GSF_INFILE(child.get());
    const FixedProps props = r.Fixed(dir, 8);
    Address a;
    a.name = r.String(dir, kDisplayName, cp);
    a.address = SmtpOf(r.String(dir, kSmtpAddress, cp), r.String(dir, kAddrType, cp),
                       r.String(dir, kEmailAddress, cp));
    if (a.name == a.address) a.name.clear();
    if (a.name.empty() && a.address.empty()) continue;
    const std::uint64_t type = FixedValue(props, kRecipientType, kTypeLong).value_or(1);
    if (type == 2)
      m->cc.push_back(std::move(a));
    else if (type == 1)
      m->to.push_back(std::move(a));
  }
}

void ReadAttachments(Reader& r, GsfInfile* top, const std::string& cp, Message* m) {
  const int n = std::min(gsf_infile_num_children(top), kMaxChildren);
  std::size_t seen = 0;
  for (int i = 0; i < n && seen < r.max_attachments(); ++i) {
    const char* name = gsf_infile_name_by_index(top, i);
    if (name == nullptr || std::string_view(name).rfind("__attach_version1.0_", 0) != 0) continue;
    InputPtr child(gsf_infile_child_by_index(top, i));
    if (!child || !IsStorage(child.get())) continue;
    ++seen;
    GsfInfile* dir = GSF_INFILE(child.get());
    const FixedProps props = r.Fixed(dir, 8);
    Attachment a;
    a.filename = r.String(dir, kAttachLongFilename, cp);
    if (a.filename.empty()) a.filename = r.String(dir, kAttachFilename, cp);
    a.content_type = r.String(dir, kAttachMimeTag, cp);
    for (char& c : a.content_type) c = g_ascii_tolower(c);
    a.content_id = r.String(dir, kAttachContentId, cp);
    // Method 5 is an embedded message (a storage, not bytes): listed by name.
    if (FixedValue(props, kAttachMethod, kTypeLong).value_or(1) == 5) {
      if (a.content_type.empty()) a.content_type = "message/rfc822";
    } else if (std::optional<std::string> data = r.Binary(dir, kAttachDataBin)) {
      a.size = data->size();
      a.sha256 = util::Sha256Hex(*data);
    } else {
      m->parse_errors.push_back("msg: attachment " + std::string(name) + " has no readable data");
    }
    if (a.content_type.empty()) a.content_type = "application/octet-stream";
    a.inline_image = !a.content_id.empty() && a.content_type.rfind("image/", 0) == 0;
    m->attachments.push_back(std::move(a));
  }
}

// Fields the MAPI properties did not give, from the RFC 5322 header Outlook
// kept (PR_TRANSPORT_MESSAGE_HEADERS) of a message it received.
void FillFromHeaders(const std::string& headers, Message* m) {
  if (headers.empty()) return;
  util::Result<Message> h = Parse(headers + "\r\n\r\n");
  if (!h.ok()) return;
  const Message& hm = h.value();
  if (m->from.address.empty()) m->from = hm.from;
  if (m->to.empty()) m->to = hm.to;
  if (m->cc.empty()) m->cc = hm.cc;
  if (m->subject.empty()) m->subject = hm.subject;
  if (!m->date) {
    m->date = hm.date;
    m->date_tz_offset_minutes = hm.date_tz_offset_minutes;
  }
  if (m->message_id.empty()) m->message_id = hm.message_id;
  if (m->in_reply_to.empty()) m->in_reply_to = hm.in_reply_to;
  m->headers = hm.headers;
}

}  // namespace

bool LooksLikeCfb(std::string_view bytes) {
  return bytes.size() >= 8 && bytes.substr(0, 8) == "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
}

util::Result<Message> ParseOutlookMsg(std::string_view bytes, const MsgLimits& limits) {
  if (!LooksLikeCfb(bytes)) return util::Error(util::Code::kInvalidArgument, "not a CFB file");
  if (bytes.size() > limits.max_input_bytes)
    return util::Error(util::Code::kInvalidArgument,
                       ".msg larger than " + std::to_string(limits.max_input_bytes) + " bytes");
  InitGsf();
  // The memory input borrows `bytes` (needs_free = FALSE): it lives only here.
  InputPtr input(gsf_input_memory_new(reinterpret_cast<const guint8*>(bytes.data()),
                                      static_cast<gsf_off_t>(bytes.size()), FALSE));
  if (!input) return util::Error(util::Code::kInvalidArgument, "cannot read .msg bytes");
  GError* err = nullptr;
  InfilePtr top(gsf_infile_msole_new(input.get(), &err));
  if (!top) {
    std::string why = err != nullptr ? err->message : "unknown error";
    if (err != nullptr) g_error_free(err);
    return util::Error(util::Code::kInvalidArgument, "not an OLE2 compound file: " + why);
  }
  Reader r(limits);
  const FixedProps props = r.Fixed(top.get(), 32);
  const std::string cp = CodepageLabel(props);
  Message m;
  m.subject = r.String(top.get(), kSubject, cp);
  // The author: "sent representing" (on behalf of) first, then the sender.
  m.from.name = r.String(top.get(), kSentRepresentingName, cp);
  m.from.address = SmtpOf(r.String(top.get(), kSentRepresentingSmtp, cp),
                          r.String(top.get(), kSentRepresentingAddrType, cp),
                          r.String(top.get(), kSentRepresentingEmail, cp));
  if (m.from.address.empty()) {
    if (m.from.name.empty()) m.from.name = r.String(top.get(), kSenderName, cp);
    m.from.address =
        SmtpOf(r.String(top.get(), kSenderSmtp, cp), r.String(top.get(), kSenderAddrType, cp),
               r.String(top.get(), kSenderEmail, cp));
  }
  m.date = FileTime(FixedValue(props, kClientSubmitTime, kTypeSystime));
  if (!m.date) m.date = FileTime(FixedValue(props, kDeliveryTime, kTypeSystime));
  m.message_id = r.String(top.get(), kInternetMessageId, cp);
  if (m.message_id.size() >= 2 && m.message_id.front() == '<' && m.message_id.back() == '>')
    m.message_id = m.message_id.substr(1, m.message_id.size() - 2);
  m.body_text = r.String(top.get(), kBody, cp);
  if (std::optional<std::string> html = r.Binary(top.get(), kHtml)) {
    m.body_html = IsValidUtf8(*html) ? *html : ToUtf8(*html, cp);
  } else {
    m.body_html = r.String(top.get(), kHtml, cp);
  }
  if (m.body_text.empty() && !m.body_html.empty()) {
    m.body_text = HtmlToText(m.body_html);
    m.body_from_html = true;
  }
  ReadRecipients(r, top.get(), cp, &m);
  if (m.to.empty()) m.to = DisplayList(r.String(top.get(), kDisplayTo, cp));
  if (m.cc.empty()) m.cc = DisplayList(r.String(top.get(), kDisplayCc, cp));
  ReadAttachments(r, top.get(), cp, &m);
  FillFromHeaders(r.String(top.get(), kTransportHeaders, cp), &m);
  if (m.subject.empty() && m.from.address.empty() && m.from.name.empty() && m.body_text.empty() &&
      !m.date)
    return util::Error(util::Code::kInvalidArgument,
                       "OLE2 file without message properties: not an Outlook item");
  if (m.from.address.empty()) m.parse_errors.push_back("msg: no SMTP sender address");
  return m;
}

}  // namespace mime
