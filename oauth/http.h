// Internal to engine/oauth_client.cpp (not for other callers): one
// application/x-www-form-urlencoded POST over cpp-httplib with verified TLS.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "oauth/client.h"

namespace oauth::http {

struct HttpReply {
  int status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, "" when absent
};

// An answer of any HTTP status is a reply. Errors: a URL CheckEndpointUrl
// refuses (kProtocol, before any I/O), an unloadable CA file or a
// certificate that does not verify (kTls), any other transport failure
// (kTransient). Descriptions name the URL, never the form's values.
std::variant<HttpReply, OAuthError> PostForm(
    const std::string& url, const std::string& ca_file,
    const std::vector<std::pair<std::string, std::string>>& form, const HttpOptions& http);

}  // namespace oauth::http
