// libFuzzer entry: any bytes through mime::Parse and mime::UnwrapForward,
// plus the date parser on a prefix. Built by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mime/forward.h"
#include "mime/forward_date.h"
#include "mime/message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  (void)mime::ParseForwardDate(raw.substr(0, 200), 60);
  auto m = mime::Parse(raw);
  if (!m.ok()) return 0;
  (void)mime::UnwrapForward(m.value());
  // The text path alone, as if the body had come from any client.
  mime::Message bare;
  bare.subject = "Fwd: x";
  bare.body_text = std::string(raw);
  (void)mime::UnwrapForward(bare);
  return 0;
}
