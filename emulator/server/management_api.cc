#include "server/management_api.h"

#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/log.h"
#include "base/utf8.h"
#include "server/http_responses.h"
#include "server/static_files.h"

namespace wsgw {

namespace {

// PostToConnection's own limit is maxMessageBytes; this only bounds what is read.
constexpr size_t kMaxPostBytes = 1024 * 1024;

// A management API answer: AWS puts the error's type in x-amzn-ErrorType, which is what every
// SDK reads to name the exception (AWS-NOTES §4.3).
int WriteAwsResponse(lws* wsi, int status, const std::string& error_type, const std::string& body) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"x-amzn-RequestId", NewAmznRequestId()}};
  if (!error_type.empty()) headers.emplace_back("x-amzn-ErrorType", error_type);
  return WriteHttpResponse(wsi, status, "application/json", headers, body);
}

// The request's Host header, or HTTP/2's :authority; empty when there is none.
std::string RequestHost(lws* wsi) {
  for (lws_token_indexes token : {WSI_TOKEN_HOST, WSI_TOKEN_HTTP_COLON_AUTHORITY}) {
    int length = lws_hdr_total_length(wsi, token);
    if (length <= 0) continue;
    std::string value(static_cast<size_t>(length) + 1, '\0');
    int copied = lws_hdr_copy(wsi, value.data(), length + 1, token);
    if (copied < 0) continue;
    value.resize(static_cast<size_t>(copied));
    return value;
  }
  return "";
}

// "a1b2c3d4e5 (stage chat), f6g7h8i9j0 (stage counter)": what a Host's id can be.
std::string ServedApiIds(const std::vector<ApiConfig>& apis) {
  std::string list;
  for (const ApiConfig& api : apis) {
    if (!list.empty()) list += ", ";
    list += api.apiId + " (stage " + api.stage + ")";
  }
  return list;
}

}  // namespace

int ManagementApi::OnRequest(lws* wsi, const char* uri) {
  std::string path = uri == nullptr ? "/" : uri;
  std::string method = HttpMethod(wsi);
  std::optional<ManagementTarget> target = ParseManagementPath(path, /*decode=*/false);
  if (!target) {
    if (!server_.options.webRoot.empty() && (method == "GET" || method == "HEAD")) {
      std::string file_path = path.substr(0, path.find('?'));
      if (std::optional<StaticFile> file = LoadStaticFile(server_.options.webRoot, file_path)) {
        return WriteHttpResponse(wsi, 200, file->contentType, {{"Cache-Control", "no-cache"}},
                                 method == "HEAD" ? std::string() : file->body);
      }
    }
    Log::Debug("http 404", {Str("method", method), Str("path", path)});
    return WriteHttpResponse(wsi, 404, "application/json", {},
                             JsonMessageBody("Not Found: " + path +
                                             " (WebSocket clients connect to /STAGE; the "
                                             "management API is /STAGE/@connections/ID)"));
  }
  HttpRequest& request = requests_[wsi];
  request.method = method;
  request.host = RequestHost(wsi);
  request.target = *target;
  if (method == "POST") return 0;  // answered at HTTP_BODY_COMPLETION
  return Answer(wsi);
}

int ManagementApi::OnBody(lws* wsi, const char* data, size_t length) {
  auto it = requests_.find(wsi);
  if (it == requests_.end()) return 0;
  HttpRequest& request = it->second;
  if (request.body.size() + length > kMaxPostBytes) {
    request.tooLarge = true;
  } else {
    request.body.append(data, length);
  }
  return 0;
}

int ManagementApi::OnBodyComplete(lws* wsi) {
  if (requests_.find(wsi) == requests_.end()) return 0;
  return Answer(wsi);
}

int ManagementApi::Answer(lws* wsi) {
  HttpRequest request = std::move(requests_[wsi]);
  requests_.erase(wsi);
  const std::string& id = request.target.connectionId;
  std::vector<LogField> fields = {Str("event", "management"), Str("method", request.method),
                                  Str("connectionId", id)};

  const ApiConfig* api = nullptr;
  const std::vector<ApiConfig>& apis = server_.options.apis;
  std::optional<std::string> host_id = ExecuteApiIdFromHost(request.host);
  if (host_id && apis.size() > 1) {
    // Several APIs: the Host's id is the API's, as each has its own execute-api name on AWS.
    for (const ApiConfig& candidate : apis) {
      if (candidate.apiId == *host_id) api = &candidate;
    }
    if (api == nullptr) {
      fields.push_back(Str("outcome", "404 unknown API id " + *host_id));
      Log::Info("management", fields);
      return WriteAwsResponse(
          wsi, 404, "NotFoundException",
          JsonMessageBody("No API with id " + *host_id + " (Host " + request.host +
                          "): wsgw serves " + ServedApiIds(apis) +
                          "; set \"apiId\" in a routes file to the id the code uses"));
    }
    if (request.target.stage && *request.target.stage != api->stage) {
      fields.push_back(
          Str("outcome", "404 API " + api->apiId + " has no stage " + *request.target.stage));
      Log::Info("management", fields);
      return WriteAwsResponse(
          wsi, 404, "NotFoundException",
          JsonMessageBody("API " + api->apiId + " (Host " + request.host + ") has no stage " +
                          *request.target.stage + "; its stage is " + api->stage));
    }
  } else if (request.target.stage) {
    for (const ApiConfig& candidate : apis) {
      if (candidate.stage == *request.target.stage) api = &candidate;
    }
    if (api == nullptr) {
      fields.push_back(Str("outcome", "404 unknown stage " + *request.target.stage));
      Log::Info("management", fields);
      return WriteAwsResponse(wsi, 404, "NotFoundException",
                              JsonMessageBody("No API at stage " + *request.target.stage));
    }
  }
  if (request.method != "POST" && request.method != "GET" && request.method != "DELETE") {
    fields.push_back(Str("outcome", "405"));
    Log::Info("management", fields);
    return WriteAwsResponse(
        wsi, 405, "MethodNotAllowedException",
        JsonMessageBody("@connections accepts POST, GET and DELETE, not " + request.method));
  }
  Session* session = sessions_.Find(id);
  if (session != nullptr && api != nullptr && session->api != api) session = nullptr;
  if (session == nullptr || !session->Reachable()) {
    // A connection still in its $connect is not there yet, as on AWS (AWS-NOTES §4.3).
    fields.push_back(Str("outcome", "410 gone"));
    Log::Info("management", fields);
    return WriteAwsResponse(wsi, 410, "GoneException", "");
  }

  if (request.method == "GET") {
    Json::Value body(Json::objectValue);
    body["connectedAt"] = Iso8601Millis(session->context.connectedAtMs);
    body["identity"]["sourceIp"] = session->context.sourceIp;
    if (session->context.userAgent) {
      body["identity"]["userAgent"] = *session->context.userAgent;
    }
    body["lastActiveAt"] = Iso8601Millis(session->lastActiveMs);
    fields.push_back(Str("outcome", "200"));
    Log::Info("management", fields);
    return WriteAwsResponse(wsi, 200, "", CompactJson(body));
  }
  if (request.method == "DELETE") {
    sessions_.RequestClose(session, 1000, kReasonDeleted);
    fields.push_back(Str("outcome", "204"));
    Log::Info("management", fields);
    return WriteAwsResponse(wsi, 204, "", "");
  }
  size_t limit = static_cast<size_t>(session->api->limits.maxMessageBytes);
  if (request.tooLarge || request.body.size() > limit) {
    fields.push_back(Str("outcome", "413 payload too large"));
    Log::Info("management", fields);
    return WriteAwsResponse(wsi, 413, "PayloadTooLargeException",
                            JsonMessageBody("Request entity too large: PostToConnection data is "
                                            "limited to " +
                                            std::to_string(limit) + " bytes"));
  }
  if (session->outboundBytes + request.body.size() > kMaxOutboundBytes) {
    fields.push_back(Str("outcome", "429 client buffer full"));
    Log::Warn("management", fields);
    return WriteAwsResponse(
        wsi, 429, "LimitExceededException",
        JsonMessageBody("The client is not reading: " + std::to_string(session->outboundBytes) +
                        " bytes are waiting to be sent to it"));
  }
  bool binary = !IsValidUtf8(request.body);
  fields.push_back(Str("outcome", "200"));
  fields.push_back(Num("bytes", static_cast<long long>(request.body.size())));
  if (Log::payloadBytes() > 0) {
    fields.push_back(binary ? Str("payload", "(binary)")
                            : Payload("payload", request.body, Log::payloadBytes()));
  }
  Log::Info("management", fields);
  sessions_.Send(session, std::move(request.body), binary);
  return WriteAwsResponse(wsi, 200, "", "");
}

void ManagementApi::OnClosed(lws* wsi) { requests_.erase(wsi); }

}  // namespace wsgw
