#include "server/http_responses.h"

#include <json/json.h>

#include <cstring>
#include <vector>

#include "base/json.h"

namespace wsgw {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 410:
      return "Gone";
    case 413:
      return "Payload Too Large";
    case 411:
      return "Length Required";
    case 414:
      return "URI Too Long";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 204:
      return "No Content";
    default:
      return status >= 200 && status < 300 ? "OK" : "Error";
  }
}

std::string JsonMessageBody(const std::string& message) {
  Json::Value body(Json::objectValue);
  body["message"] = message;
  return CompactJson(body);
}

std::string ClosingResponse(int status, const std::string& body, const std::string& headers) {
  std::string response =
      "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n" + headers + "Connection: close\r\n\r\n";
  return response + body;
}

}  // namespace wsgw
