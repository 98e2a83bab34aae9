// libFuzzer entry for the Outlook .msg reader: any bytes through
// mime::ParseOutlookMsg (libgsf's CFB parser, then the MAPI property
// streams), and the result through UnwrapForward as an attached original.
// Built and seeded from fixtures/intake/msg/ by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mime/forward.h"
#include "mime/message.h"
#include "mime/outlook_msg.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  mime::MsgLimits limits;
  limits.max_stream_bytes = 1 << 20;  // keep each run fast; the code paths are the same
  limits.max_total_bytes = 4 << 20;
  auto m = mime::ParseOutlookMsg(raw, limits);
  if (!m.ok()) return 0;
  std::size_t sum = m.value().subject.size() + m.value().body_text.size();
  for (const mime::Attachment& a : m.value().attachments) sum += a.filename.size() + a.size;
  (void)sum;
  // The same bytes as an attachment of a forward.
  mime::Message outer;
  outer.subject = "FW: x";
  outer.attached_items.emplace_back(raw);
  (void)mime::UnwrapForward(outer);
  return 0;
}
