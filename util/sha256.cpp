#include "util/sha256.h"

#include <openssl/evp.h>

namespace util {

Digest Sha256(std::string_view data) {
  Digest d{};
  unsigned int len = 0;
  // EVP_Digest is one-shot and allocates its context internally.
  EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

void Sha256Stream::CtxFree::operator()(void* ctx) const {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx));
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_) EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_.get()), EVP_sha256(), nullptr);
}

void Sha256Stream::Update(std::string_view data) {
  if (ctx_) EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_.get()), data.data(), data.size());
}

std::string Sha256Stream::FinishHex() {
  Digest d{};
  unsigned int len = 0;
  if (ctx_) EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_.get()), d.data(), &len);
  ctx_.reset();
  return ToHex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string Sha256Hex(std::string_view data) {
  Digest d = Sha256(data);
  return ToHex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

}  // namespace util
