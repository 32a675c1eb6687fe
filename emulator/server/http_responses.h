// The bodies and status lines the gateway writes itself, outside any function's answer.
#pragma once

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

}  // namespace wsgw
