// RAII owners for the GLib/GMime/libxml2 handles used inside mime/.
// Internal: never included from a public header.
#pragma once

#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>

#include <memory>

namespace mime::detail {

struct GObjectUnref {
  void operator()(gpointer p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
template <class T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
using GCharPtr = std::unique_ptr<char, GFree>;

struct DateTimeUnref {
  void operator()(GDateTime* d) const {
    if (d != nullptr) g_date_time_unref(d);
  }
};
using DateTimePtr = std::unique_ptr<GDateTime, DateTimeUnref>;

struct ReferencesFree {
  void operator()(GMimeReferences* r) const {
    if (r != nullptr) g_mime_references_free(r);
  }
};
using ReferencesPtr = std::unique_ptr<GMimeReferences, ReferencesFree>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* o) const {
    if (o != nullptr) g_mime_parser_options_free(o);
  }
};
using ParserOptionsPtr = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;

struct FormatOptionsFree {
  void operator()(GMimeFormatOptions* o) const {
    if (o != nullptr) g_mime_format_options_free(o);
  }
};
using FormatOptionsPtr = std::unique_ptr<GMimeFormatOptions, FormatOptionsFree>;

struct XmlDocFree {
  void operator()(xmlDoc* d) const {
    if (d != nullptr) xmlFreeDoc(d);
  }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

// GIConv is a pointer type; (GIConv)-1 marks failure and is never stored here.
struct IconvClose {
  void operator()(GIConv cd) const {
    if (cd != nullptr) g_iconv_close(cd);
  }
};
using IconvPtr = std::unique_ptr<std::remove_pointer_t<GIConv>, IconvClose>;

}  // namespace mime::detail
