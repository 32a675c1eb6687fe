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

std::string HttpMethod(lws* wsi) {
  static constexpr std::pair<lws_token_indexes, const char*> kMethods[] = {
      {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
      {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_PUT_URI, "PUT"},
      {WSI_TOKEN_PATCH_URI, "PATCH"},   {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
      {WSI_TOKEN_HEAD_URI, "HEAD"},
  };
  for (const auto& [token, name] : kMethods) {
    if (lws_hdr_total_length(wsi, token) > 0) return name;
  }
  return "UNKNOWN";
}

// Writes a whole response; returns what the HTTP callback should return.
int WriteHttpResponse(lws* wsi, int status, const std::string& content_type,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body) {
  std::vector<unsigned char> buffer(LWS_PRE + 4096 + body.size());
  unsigned char* start = buffer.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buffer.data() + buffer.size() - 1;
  if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(status), content_type.c_str(),
                                  body.size(), &p, end)) {
    return -1;
  }
  for (const auto& [name, value] : headers) {
    std::string header = name + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(header.c_str()),
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), &p, end)) {
      return -1;
    }
  }
  if (lws_finalize_http_header(wsi, &p, end)) return -1;
  std::memcpy(p, body.data(), body.size());
  p += body.size();
  if (lws_write(wsi, start, static_cast<size_t>(p - start), LWS_WRITE_HTTP_FINAL) < 0) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

}  // namespace wsgw
