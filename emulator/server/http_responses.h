// The bodies and status lines the gateway writes itself, outside any function's answer, and the
// one way it writes a whole HTTP response through lws.
#pragma once

#include <libwebsockets.h>

#include <string>
#include <utility>
#include <vector>

namespace wsgw {

const char* ReasonPhrase(int status);

// {"message":"..."}: API Gateway's shape for the errors it generates.
std::string JsonMessageBody(const std::string& message);

// A complete HTTP/1.1 response that closes the connection, for requests answered before lws ever
// sees them. `headers`: extra header lines, each ending in CRLF.
std::string ClosingResponse(int status, const std::string& body, const std::string& headers);

// The request's method as lws parsed it ("GET", "POST", ...; "UNKNOWN" for others).
std::string HttpMethod(lws* wsi);

// Writes a whole response; returns what the HTTP callback should return.
int WriteHttpResponse(lws* wsi, int status, const std::string& content_type,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body);

}  // namespace wsgw
