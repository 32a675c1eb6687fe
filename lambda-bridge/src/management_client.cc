// ManagementClient: the `@connections` API over libcurl, one keep-alive easy handle per thread.
#include <curl/curl.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "wsgw/lambda.h"

namespace wsgw::lambda {
namespace {

constexpr long kConnectTimeoutMs = 2000;
constexpr long kRequestTimeoutMs = 10000;

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

// The calling thread's handle: reusing it keeps the connection to the gateway alive.
CURL* ThreadHandle() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  thread_local EasyHandle handle(curl_easy_init());
  if (handle) curl_easy_reset(handle.get());
  return handle.get();
}

// Like the AWS SDKs for a URI label: everything but unreserved characters is escaped
// ("=" becomes "%3D").
std::string PercentEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return out;
}

struct Reply {
  std::string body;
  std::string error_type;  // x-amzn-ErrorType, without any ":..." suffix
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<Reply*>(user)->body.append(data, size * count);
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  constexpr std::string_view kName = "x-amzn-errortype:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (size_t i = 0; i < kName.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
    }
    if (match) {
      std::string_view value = line.substr(kName.size());
      value = value.substr(0, value.find_first_of(":\r\n"));
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      static_cast<Reply*>(user)->error_type = std::string(value);
    }
  }
  return size * count;
}

ManagementResult Perform(const std::string& endpoint, const char* method,
                         std::string_view connection_id, const std::string_view* data) {
  ManagementResult result;
  CURL* curl = ThreadHandle();
  if (!curl) {
    result.message = "cannot create a libcurl handle";
    return result;
  }
  std::string base = endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = base + "/@connections/" + PercentEncode(connection_id);

  Reply reply;
  char error_buffer[CURL_ERROR_SIZE] = {};
  HeaderList headers;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, kRequestTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
  if (data) {
    // Never a null pointer: libcurl would then read the body from stdin.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data->empty() ? "" : data->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(data->size()));
    // The gateway answers at once; waiting for "100 Continue" would only add a second.
    headers.reset(curl_slist_append(nullptr, "Expect:"));
    headers.reset(curl_slist_append(headers.release(), "Content-Type: application/octet-stream"));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  }

  CURLcode code = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (code != CURLE_OK) {
    result.message = std::string(method) + " " + url + ": " +
                     (error_buffer[0] ? error_buffer : curl_easy_strerror(code));
    return result;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.http_status);
  result.body = std::move(reply.body);
  if (result.http_status >= 200 && result.http_status < 300) {
    result.status = ManagementResult::Status::kOk;
    return result;
  }
  result.status = result.http_status == 410 || reply.error_type == "GoneException"
                      ? ManagementResult::Status::kGone
                      : ManagementResult::Status::kError;
  result.message = std::to_string(result.http_status);
  if (!reply.error_type.empty()) result.message += " " + reply.error_type;
  if (std::optional<Json::Value> body = ParseJson(result.body);
      body && body->isObject() && (*body)["message"].isString()) {
    result.message += ": " + (*body)["message"].asString();
  }
  return result;
}

std::string EndpointFor(const Json::Value& event) {
  if (const char* endpoint = std::getenv("WSGW_MANAGEMENT_ENDPOINT"); endpoint && *endpoint) {
    return endpoint;
  }
  auto text = [](const Json::Value& object, const char* key) {
    return object.isObject() && object[key].isString() ? object[key].asString() : std::string();
  };
  const Json::Value context =
      event.isObject() ? event["requestContext"] : Json::Value(Json::nullValue);
  return "http://" + text(context, "domainName") + "/" + text(context, "stage");
}

}  // namespace

ManagementClient::ManagementClient(std::string endpoint) : endpoint_(std::move(endpoint)) {}

ManagementClient::ManagementClient(const Json::Value& event) : endpoint_(EndpointFor(event)) {}

ManagementResult ManagementClient::Post(std::string_view connection_id,
                                        std::string_view data) const {
  return Perform(endpoint_, "POST", connection_id, &data);
}

ManagementResult ManagementClient::Get(std::string_view connection_id) const {
  return Perform(endpoint_, "GET", connection_id, nullptr);
}

ManagementResult ManagementClient::Remove(std::string_view connection_id) const {
  return Perform(endpoint_, "DELETE", connection_id, nullptr);
}

}  // namespace wsgw::lambda
