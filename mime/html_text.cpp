#include "mime/html_text.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "mime/detail/glib_ptr.h"
#include "mime/message.h"

namespace mime {
namespace {

// libxml2 already limits nesting (256 without HTML_PARSE_HUGE); this guard
// keeps our own recursion bounded whatever the library does.
constexpr int kMaxDepth = 1024;

bool NameIs(const xmlNode* n, const char* name) {
  return n->name != nullptr && xmlStrcasecmp(n->name, BAD_CAST name) == 0;
}

bool NameIn(const xmlNode* n, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (NameIs(n, name)) return true;
  return false;
}

// Accumulates text with HTML whitespace rules: runs collapse, line starts and
// ends carry no blanks, and at most one blank line separates blocks.
class TextBuilder {
 public:
  explicit TextBuilder(const HtmlTextOptions& opts) : opts_(opts) {}

  void Text(std::string_view s) {
    for (std::size_t i = 0; i < s.size() && !Full(); ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        pending_space_ = true;
        continue;
      }
      if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
        pending_space_ = true;  // &nbsp;
        ++i;
        continue;
      }
      // Zero-width space and BOM pad e-mail preheaders; they carry no text.
      if (c == 0xE2 && s.substr(i, 3) == "\xE2\x80\x8B") {
        i += 2;
        continue;
      }
      if (c == 0xEF && s.substr(i, 3) == "\xEF\xBB\xBF") {
        i += 2;
        continue;
      }
      if (AtLineStart()) {
        StartLine();
      } else if (pending_space_) {
        out_.push_back(' ');
      }
      pending_space_ = false;
      out_.push_back(static_cast<char>(c));
      newlines_ = 0;
    }
  }

  // Text inside <pre>: whitespace is kept, newlines are line breaks.
  void PreText(std::string_view s) {
    for (char c : s) {
      if (Full()) return;
      if (c == '\r') continue;
      if (c == '\n') {
        if (!out_.empty()) {
          out_.push_back('\n');
          ++newlines_;
        }
        continue;
      }
      if (AtLineStart()) StartLine();
      out_.push_back(c);
      newlines_ = 0;
    }
    pending_space_ = false;
  }

  void Space() { pending_space_ = true; }

  // Ends the current line; `lines` = 2 leaves a blank line. Never emits
  // leading newlines or more than one blank line.
  void Break(int lines) {
    pending_space_ = false;
    if (out_.empty()) return;
    while (newlines_ < lines && !Full()) {
      out_.push_back('\n');
      ++newlines_;
    }
  }

  // <br>: always ends the line, so <br><br> gives a blank line.
  void HardBreak() {
    pending_space_ = false;
    if (out_.empty() || newlines_ >= 2 || Full()) return;
    out_.push_back('\n');
    ++newlines_;
  }

  int quote_depth = 0;

  std::string Finish() {
    while (!out_.empty() && (out_.back() == '\n' || out_.back() == ' ')) out_.pop_back();
    if (out_.size() >= opts_.max_bytes) {
      // The byte cap may have split a character: keep the valid prefix.
      out_.resize(std::min(out_.size(), opts_.max_bytes));
      const gchar* end = nullptr;
      g_utf8_validate_len(out_.data(), out_.size(), &end);
      out_.resize(static_cast<std::size_t>(end - out_.data()));
    }
    return std::move(out_);
  }

 private:
  bool AtLineStart() const { return out_.empty() || out_.back() == '\n'; }
  bool Full() const { return out_.size() >= opts_.max_bytes; }
  void StartLine() {
    if (opts_.quote_blockquotes)
      for (int q = 0; q < quote_depth; ++q) out_ += "> ";
  }

  const HtmlTextOptions& opts_;
  std::string out_;
  bool pending_space_ = false;
  int newlines_ = 0;
};

bool StyleHides(const xmlChar* style) {
  std::string s;
  for (const xmlChar* p = style; *p != 0; ++p)
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
      s.push_back(static_cast<char>(g_ascii_tolower(static_cast<char>(*p))));
  return s.find("display:none") != std::string::npos ||
         s.find("visibility:hidden") != std::string::npos ||
         s.find("mso-hide:all") != std::string::npos;
}

bool Hidden(xmlNode* e) {
  if (xmlHasProp(e, BAD_CAST "hidden") != nullptr) return true;
  xmlChar* style = xmlGetProp(e, BAD_CAST "style");
  if (style == nullptr) return false;
  const bool hides = StyleHides(style);
  xmlFree(style);
  return hides;
}

class Walker {
 public:
  explicit Walker(const HtmlTextOptions& opts) : b_(opts) {}

  // Walks `first` and its following siblings.
  void Nodes(xmlNode* first, int depth) {
    if (depth > kMaxDepth) return;
    for (xmlNode* n = first; n != nullptr; n = n->next) {
      switch (n->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
          if (n->content != nullptr) {
            std::string_view t(reinterpret_cast<const char*>(n->content));
            if (pre_ > 0)
              b_.PreText(t);
            else
              b_.Text(t);
          }
          break;
        case XML_ELEMENT_NODE:
          Element(n, depth + 1);
          break;
        default:
          break;  // comments, processing instructions, DTD
      }
    }
  }

  std::string Finish() { return b_.Finish(); }

 private:
  void Element(xmlNode* e, int depth) {
    if (NameIn(e, {"script", "style", "head", "title", "template", "noframes", "object", "iframe",
                   "svg", "math", "select", "button"}))
      return;
    if (Hidden(e)) return;
    if (NameIs(e, "br")) {
      b_.HardBreak();
      return;
    }
    const bool para = NameIn(e, {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table",
                                 "ul", "ol", "pre", "dl", "address", "figure", "hr"});
    const bool line =
        !para && NameIn(e, {"div",      "li",     "tr",         "section", "article", "header",
                            "footer",   "center", "form",       "dt",      "dd",      "caption",
                            "fieldset", "main",   "nav",        "aside",   "details", "summary",
                            "option",   "legend", "figcaption", "body"});
    if (para) b_.Break(2);
    if (line) b_.Break(1);
    if (NameIs(e, "li")) b_.Text("- ");
    if (NameIn(e, {"td", "th"})) b_.Space();
    const bool quote = NameIs(e, "blockquote");
    const bool pre = NameIn(e, {"pre", "listing", "plaintext", "xmp"});
    if (quote) ++b_.quote_depth;
    if (pre) ++pre_;
    Nodes(e->children, depth);
    if (pre) --pre_;
    if (quote) --b_.quote_depth;
    if (NameIn(e, {"td", "th"})) b_.Space();
    if (para) b_.Break(2);
    if (line) b_.Break(1);
  }

  TextBuilder b_;
  int pre_ = 0;
};

// Case-insensitive search for an ASCII tag opener such as "<body".
bool ContainsTag(std::string_view html, std::string_view tag) {
  for (std::size_t p = html.find('<'); p != std::string_view::npos; p = html.find('<', p + 1)) {
    if (html.size() - p >= tag.size() &&
        g_ascii_strncasecmp(html.data() + p, tag.data(), tag.size()) == 0)
      return true;
  }
  return false;
}

}  // namespace

std::string HtmlToText(std::string_view html, const HtmlTextOptions& opts) {
  if (html.empty()) return {};
  Init();
  // For a bare fragment ("a<br>b<div>c</div>") libxml2 wraps leading text in
  // an implied <p>, adding blank lines the author never wrote; an explicit
  // <body> avoids that.
  std::string wrapped;
  if (!ContainsTag(html, "<body") && !ContainsTag(html, "<html")) {
    wrapped.reserve(html.size() + 6);
    wrapped.append("<body>").append(html);
    html = wrapped;
  }
  const int size =
      html.size() > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(html.size());
  // IGNORE_ENC: the caller already converted to UTF-8, so a <meta charset>
  // inside must not re-decode the bytes.
  detail::XmlDocPtr doc(htmlReadMemory(html.data(), size, nullptr, "UTF-8",
                                       HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                           HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                                           HTML_PARSE_IGNORE_ENC));
  if (!doc) return {};
  Walker w(opts);
  w.Nodes(doc->children, 0);
  return w.Finish();
}

std::vector<std::string> HtmlToLines(std::string_view html, const HtmlTextOptions& opts) {
  std::vector<std::string> lines;
  const std::string text = HtmlToText(html, opts);
  if (text.empty()) return lines;
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = text.find('\n', start);
    lines.emplace_back(text.substr(start, nl == std::string::npos ? nl : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

}  // namespace mime
