// libFuzzer entry: any bytes through mime::Parse alone (the path every
// fetched, replayed and inspected message takes). Built by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
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
  return 0;
}
