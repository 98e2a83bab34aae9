// libFuzzer entry: any bytes through mime::Parse alone (the path every
// fetched, replayed and inspected message takes), with and without
// hash_attachments (ingest's setting), which must agree on everything but
// the attachments' digests. Built by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/message.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mime::Init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto m = mime::Parse(raw);
  if (m.ok()) {
    // Touch what the store keeps, so a result pointing into freed memory shows.
    std::size_t n = m->subject.size() + m->body_text.size() + m->message_id.size();
    for (const auto& r : m->references) n += r.size();
    (void)n;
  }
  mime::ParseOptions quick;
  quick.hash_attachments = false;
  auto q = mime::Parse(raw, quick);
  if (m.ok() != q.ok()) std::abort();
  if (m.ok()) {
    if (q->body_text != m->body_text || q->parse_errors != m->parse_errors ||
        q->attachments.size() != m->attachments.size())
      std::abort();
    for (std::size_t i = 0; i < m->attachments.size(); ++i) {
      const mime::Attachment& a = m->attachments[i];
      const mime::Attachment& b = q->attachments[i];
      if (a.filename != b.filename || a.content_type != b.content_type) std::abort();
      if (!b.sha256.empty() && b.sha256 != a.sha256) std::abort();
    }
  }
  return 0;
}
