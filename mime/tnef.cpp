#include "mime/detail/tnef.h"

#include <glib.h>

// Debian's ytnef.h declares C functions without extern "C".
extern "C" {
#include <ytnef.h>
}

#include <cstdint>
#include <memory>
#include <vector>

#include "mime/charset.h"
#include "mime/html_text.h"

namespace mime::detail {
namespace {

// RAII over libytnef's parse state: TNEFFree releases what parsing allocated.
struct TnefHolder {
  TNEFStruct t{};
  TnefHolder() { TNEFInitialize(&t); }
  ~TnefHolder() { TNEFFree(&t); }
  TnefHolder(const TnefHolder&) = delete;
  TnefHolder& operator=(const TnefHolder&) = delete;
};

bool Defined(const variableLength* v) {
  return v != nullptr && v != MAPI_UNDEFINED && v->data != nullptr && v->size > 0;
}

std::string Utf16(const variableLength* v) {
  std::string bytes(reinterpret_cast<const char*>(v->data), static_cast<std::size_t>(v->size));
  while (bytes.size() >= 2 && bytes[bytes.size() - 1] == 0 && bytes[bytes.size() - 2] == 0)
    bytes.resize(bytes.size() - 2);
  return ToUtf8(bytes, "utf-16le");
}

std::string Narrow(const variableLength* v, const std::string& codepage) {
  std::string bytes(reinterpret_cast<const char*>(v->data), static_cast<std::size_t>(v->size));
  while (!bytes.empty() && bytes.back() == 0) bytes.pop_back();
  return ToUtf8(bytes, codepage);
}

// A MAPI string property in either of its encodings.
std::string StringProp(MAPIProps* props, unsigned id, const std::string& codepage) {
  if (variableLength* u = MAPIFindProperty(props, PROP_TAG(PT_UNICODE, id)); Defined(u))
    return Utf16(u);
  if (variableLength* s = MAPIFindProperty(props, PROP_TAG(PT_STRING8, id)); Defined(s))
    return Narrow(s, codepage);
  return {};
}

std::string CodePage(const TNEFStruct& t) {
  // attOemCodepage: a little-endian DWORD code page number.
  if (t.CodePage.data != nullptr && t.CodePage.size >= 4) {
    const BYTE* d = t.CodePage.data;
    const unsigned cp = d[0] | (d[1] << 8) | (d[2] << 16) | (static_cast<unsigned>(d[3]) << 24);
    if (cp == 65001) return "utf-8";
    if (cp != 0) return "windows-" + std::to_string(cp);
  }
  return "windows-1252";
}

std::uint32_t Le32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

// libytnef reports damage with printf and trusts attribute lengths (it
// allocates what they claim): walk the stream first and hand it over only
// when every attribute fits and its checksum matches.
bool WellFormed(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  if (n < 6 || Le32(p) != 0x223E9F78u) return false;
  std::size_t at = 6;
  int attributes = 0;
  while (at < n) {
    if (n - at < 9) return false;
    const BYTE level = p[at];
    if (level != 1 && level != 2) return false;
    const std::uint32_t len = Le32(p + at + 5);
    at += 9;
    if (len > n - at || n - at - len < 2) return false;
    unsigned sum = 0;
    for (std::size_t i = 0; i < len; ++i) sum += p[at + i];
    at += len;
    if ((sum & 0xFFFF) != static_cast<unsigned>(p[at] | (p[at + 1] << 8))) return false;
    at += 2;
    ++attributes;
  }
  return attributes > 0;
}

}  // namespace

bool DecodeTnef(std::string_view bytes, TnefContents* out) {
  if (bytes.size() > (1u << 30) || !WellFormed(bytes)) return false;
  std::vector<BYTE> copy(bytes.begin(), bytes.end());  // libytnef wants a mutable buffer
  auto holder = std::make_unique<TnefHolder>();
  TNEFStruct* t = &holder->t;
  t->Debug = 0;
  if (TNEFParseMemory(copy.data(), static_cast<long>(copy.size()), t) < 0) return false;
  const std::string cp = CodePage(*t);

  std::string body = StringProp(&t->MapiProperties, PR_BODY, cp);
  if (body.empty() && t->body.data != nullptr && t->body.size > 0) body = Narrow(&t->body, cp);
  if (body.empty()) {
    variableLength* html = MAPIFindProperty(&t->MapiProperties, PROP_TAG(PT_BINARY, PR_BODY_HTML));
    if (!Defined(html))
      html = MAPIFindProperty(&t->MapiProperties, PROP_TAG(PT_STRING8, PR_BODY_HTML));
    if (Defined(html)) body = HtmlToText(Narrow(html, cp));
  }
  out->body_text = std::move(body);

  for (Attachment* a = t->starting_attach.next; a != nullptr; a = a->next) {
    TnefFile f;
    f.filename = StringProp(&a->MAPI, PR_ATTACH_LONG_FILENAME, cp);
    if (f.filename.empty() && a->Title.data != nullptr && a->Title.size > 0)
      f.filename = Narrow(&a->Title, cp);
    f.content_type = StringProp(&a->MAPI, PR_ATTACH_MIME_TAG, cp);
    for (char& c : f.content_type) c = g_ascii_tolower(c);
    if (f.content_type.empty()) f.content_type = "application/octet-stream";
    // Embedded data objects carry a 16-byte header before the file itself.
    variableLength* data = MAPIFindProperty(&a->MAPI, PROP_TAG(PT_OBJECT, PR_ATTACH_DATA_OBJ));
    if (Defined(data) && data->size > 16) {
      f.data.assign(reinterpret_cast<const char*>(data->data) + 16,
                    static_cast<std::size_t>(data->size) - 16);
    } else if (a->FileData.data != nullptr && a->FileData.size > 0) {
      f.data.assign(reinterpret_cast<const char*>(a->FileData.data),
                    static_cast<std::size_t>(a->FileData.size));
    } else if ((data = MAPIFindProperty(&a->MAPI, PROP_TAG(PT_BINARY, PR_ATTACH_DATA_OBJ)));
               Defined(data)) {
      f.data.assign(reinterpret_cast<const char*>(data->data),
                    static_cast<std::size_t>(data->size));
    }
    if (f.filename.empty() && f.data.empty()) continue;
    out->files.push_back(std::move(f));
  }
  return !out->body_text.empty() || !out->files.empty();
}

}  // namespace mime::detail
