// libFuzzer entry: any text through config::ParseConfig (deskmail.toml).
// Built by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto cfg = config::ParseConfig(text, "fuzz.toml");
  (void)cfg.ok();
  return 0;
}
