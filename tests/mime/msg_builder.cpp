#include "msg_builder.h"

#include <glib.h>
#include <gsf/gsf.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace msgtest {
namespace {

struct Unref {
  void operator()(gpointer p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
using OutputPtr = std::unique_ptr<GsfOutput, Unref>;

void PutLe(std::string* out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string Utf16(const std::string& utf8) {
  gsize written = 0;
  gchar* w = g_convert(utf8.data(), static_cast<gssize>(utf8.size()), "UTF-16LE", "UTF-8", nullptr,
                       &written, nullptr);
  if (w == nullptr) throw std::runtime_error("UTF-16 conversion failed");
  std::string out(w, written);
  g_free(w);
  return out;
}

std::string Encode8(const std::string& utf8, const std::string& charset) {
  gsize written = 0;
  gchar* w = g_convert(utf8.data(), static_cast<gssize>(utf8.size()), charset.c_str(), "UTF-8",
                       nullptr, &written, nullptr);
  if (w == nullptr) throw std::runtime_error("charset conversion failed");
  std::string out(w, written);
  g_free(w);
  return out;
}

void WriteStream(GsfOutfile* dir, const std::string& name, const std::string& data) {
  OutputPtr s(gsf_outfile_new_child(dir, name.c_str(), FALSE));
  if (!data.empty())
    gsf_output_write(s.get(), data.size(), reinterpret_cast<const guint8*>(data.data()));
  gsf_output_close(s.get());
}

// One storage's properties: streams for variable-length values, entries in
// the property stream for all.
class Storage {
 public:
  explicit Storage(GsfOutfile* dir) : dir_(dir) {}

  void Str(std::uint16_t id, const std::string& v, const MsgSpec& spec) {
    if (v.empty()) return;
    if (spec.unicode) {
      const std::string data = Utf16(v);
      Variable(id, 0x001F, data, data.size() + 2);
    } else {
      const std::string data = Encode8(v, spec.string8_charset);
      Variable(id, 0x001E, data, data.size() + 1);
    }
  }
  void Bin(std::uint16_t id, const std::string& v) {
    if (!v.empty()) Variable(id, 0x0102, v, v.size());
  }
  void Long(std::uint16_t id, std::uint32_t v) { Fixed(id, 0x0003, v); }
  void Time(std::uint16_t id, std::int64_t unix_seconds) {
    Fixed(id, 0x0040, FileTime(unix_seconds));
  }
  void Finish(const std::string& header) {
    WriteStream(dir_, "__properties_version1.0", header + entries_);
  }

 private:
  void Variable(std::uint16_t id, std::uint16_t type, const std::string& data, std::size_t size) {
    char name[32];
    std::snprintf(name, sizeof name, "__substg1.0_%04X%04X", id, type);
    WriteStream(dir_, name, data);
    PutLe(&entries_, (static_cast<std::uint32_t>(id) << 16) | type, 4);
    PutLe(&entries_, 0x6, 4);  // PROPATTR_READABLE | PROPATTR_WRITABLE
    PutLe(&entries_, size, 4);
    PutLe(&entries_, 0, 4);
  }
  void Fixed(std::uint16_t id, std::uint16_t type, std::uint64_t value) {
    PutLe(&entries_, (static_cast<std::uint32_t>(id) << 16) | type, 4);
    PutLe(&entries_, 0x6, 4);
    PutLe(&entries_, value, 8);
  }

  GsfOutfile* dir_;
  std::string entries_;
};

}  // namespace

std::uint64_t FileTime(std::int64_t unix_seconds) {
  return static_cast<std::uint64_t>(unix_seconds + 11644473600LL) * 10000000ULL;
}

std::string BuildMsg(const MsgSpec& spec) {
  gsf_init();
  OutputPtr mem(gsf_output_memory_new());
  {
    std::unique_ptr<GsfOutfile, Unref> ole(gsf_outfile_msole_new(mem.get()));
    Storage top(ole.get());
    top.Str(0x001A, "IPM.Note", spec);  // PR_MESSAGE_CLASS
    top.Str(0x0037, spec.subject, spec);
    top.Str(0x0042, spec.representing_name, spec);
    top.Str(0x0065, spec.representing_email, spec);
    if (!spec.representing_email.empty()) top.Str(0x0064, "SMTP", spec);
    top.Str(0x0C1A, spec.sender_name, spec);
    top.Str(0x0C1F, spec.sender_email, spec);
    top.Str(0x0C1E, spec.sender_addrtype, spec);
    top.Str(0x5D01, spec.sender_smtp, spec);
    top.Str(0x0E04, spec.display_to, spec);
    top.Str(0x0E03, spec.display_cc, spec);
    top.Str(0x1000, spec.body, spec);
    top.Bin(0x1013, spec.html);
    top.Str(0x1035, spec.message_id, spec);
    top.Str(0x007D, spec.transport_headers, spec);
    if (spec.submit_time) top.Time(0x0039, *spec.submit_time);
    if (spec.delivery_time) top.Time(0x0E06, *spec.delivery_time);
    if (!spec.unicode) top.Long(0x3FFD, static_cast<std::uint32_t>(spec.codepage));
    // Named-property mapping storage: present in every .msg, empty here.
    {
      std::unique_ptr<GsfOutput, Unref> nameid(
          gsf_outfile_new_child(ole.get(), "__nameid_version1.0", TRUE));
      for (const char* s : {"__substg1.0_00020102", "__substg1.0_00030102", "__substg1.0_00040102"})
        WriteStream(GSF_OUTFILE(nameid.get()), s, "");
      gsf_output_close(nameid.get());
    }
    for (std::size_t i = 0; i < spec.recipients.size(); ++i) {
      const Recipient& r = spec.recipients[i];
      char name[40];
      std::snprintf(name, sizeof name, "__recip_version1.0_#%08zX", i);
      std::unique_ptr<GsfOutput, Unref> dir(gsf_outfile_new_child(ole.get(), name, TRUE));
      Storage s(GSF_OUTFILE(dir.get()));
      s.Str(0x3001, r.name, spec);
      s.Str(0x3002, r.addrtype, spec);
      s.Str(0x3003, r.email, spec);
      s.Str(0x39FE, r.smtp, spec);
      s.Long(0x0C15, static_cast<std::uint32_t>(r.type));
      s.Long(0x3000, static_cast<std::uint32_t>(i));  // PR_ROWID
      s.Finish(std::string(8, '\0'));
      gsf_output_close(dir.get());
    }
    for (std::size_t i = 0; i < spec.attachments.size(); ++i) {
      const Attachment& a = spec.attachments[i];
      char name[40];
      std::snprintf(name, sizeof name, "__attach_version1.0_#%08zX", i);
      std::unique_ptr<GsfOutput, Unref> dir(gsf_outfile_new_child(ole.get(), name, TRUE));
      Storage s(GSF_OUTFILE(dir.get()));
      s.Long(0x3705, 1);  // PR_ATTACH_METHOD: ATTACH_BY_VALUE
      s.Str(0x3707, a.filename, spec);
      s.Str(0x370E, a.mime_tag, spec);
      s.Bin(0x3701, a.data);
      s.Finish(std::string(8, '\0'));
      gsf_output_close(dir.get());
    }
    std::string header(8, '\0');
    PutLe(&header, spec.recipients.size(), 4);   // next recipient id
    PutLe(&header, spec.attachments.size(), 4);  // next attachment id
    PutLe(&header, spec.recipients.size(), 4);
    PutLe(&header, spec.attachments.size(), 4);
    header.append(8, '\0');
    top.Finish(header);
    gsf_output_close(GSF_OUTPUT(ole.get()));
  }
  const guint8* bytes = gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(mem.get()));
  const gsf_off_t size = gsf_output_size(mem.get());
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size));
}

}  // namespace msgtest
