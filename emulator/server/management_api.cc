#include "server/management_api.h"

#include <algorithm>
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

// A management API answer: AWS puts the error's type in x-amzn-ErrorType, which is what every
// SDK reads to name the exception (AWS-NOTES §4.3).
HttpResponse AwsAnswer(int status, const std::string& error_type, const std::string& body) {
  HttpResponse answer;
  answer.status = status;
  answer.headers = {{"x-amzn-RequestId", NewAmznRequestId()}};
  if (!error_type.empty()) answer.headers.emplace_back("x-amzn-ErrorType", error_type);
  answer.body = body;
  return answer;
}

std::string PayloadTooLargeMessage(uint64_t limit) {
  return JsonMessageBody("Request entity too large: PostToConnection data is limited to " +
                         std::to_string(limit) + " bytes");
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

bool ManagementApi::IsManagementPath(const HttpHead& head) {
  return ParseManagementPath(head.path).has_value();
}

uint64_t ManagementApi::MaxPostBytes() const {
  uint64_t most = 0;
  for (const ApiConfig& api : server_.options.apis) {
    most = std::max(most, static_cast<uint64_t>(api.limits.maxMessageBytes));
  }
  return most;
}

HttpResponse ManagementApi::TooLarge(uint64_t length, uint64_t limit) const {
  Log::Info("management", {Str("event", "management"), Str("method", "POST"),
                           Str("outcome", "413 payload too large (Content-Length " +
                                              std::to_string(length) + ")")});
  return AwsAnswer(413, "PayloadTooLargeException", PayloadTooLargeMessage(limit));
}

HttpResponse ManagementApi::Handle(const HttpRequest& request) {
  const std::string& path = request.head.path;
  const std::string& method = request.head.method;
  std::optional<ManagementTarget> target = ParseManagementPath(path);
  if (target) return Answer(request, *target);
  if (!server_.options.webRoot.empty() && (method == "GET" || method == "HEAD")) {
    if (std::optional<StaticFile> file =
            LoadStaticFile(server_.options.webRoot, request.head.path)) {
      HttpResponse answer;
      answer.contentType = file->contentType;
      answer.headers = {{"Cache-Control", "no-cache"}};
      answer.body = std::move(file->body);
      answer.headOnly = method == "HEAD";
      return answer;
    }
  }
  Log::Debug("http 404", {Str("method", method), Str("path", path)});
  HttpResponse answer;
  answer.status = 404;
  answer.body = JsonMessageBody("Not Found: " + path +
                                " (WebSocket clients connect to /STAGE; the management API is "
                                "/STAGE/@connections/ID)");
  return answer;
}

HttpResponse ManagementApi::Answer(const HttpRequest& http, const ManagementTarget& target) {
  const std::string& method = http.head.method;
  const std::string host = http.head.Header("Host").value_or("");
  const std::string& id = target.connectionId;
  std::vector<LogField> fields = {Str("event", "management"), Str("method", method),
                                  Str("connectionId", id)};

  const ApiConfig* api = nullptr;
  const std::vector<ApiConfig>& apis = server_.options.apis;
  std::optional<std::string> host_id = ExecuteApiIdFromHost(host);
  if (host_id && apis.size() > 1) {
    // Several APIs: the Host's id is the API's, as each has its own execute-api name on AWS.
    for (const ApiConfig& candidate : apis) {
      if (candidate.apiId == *host_id) api = &candidate;
    }
    if (api == nullptr) {
      fields.push_back(Str("outcome", "404 unknown API id " + *host_id));
      Log::Info("management", fields);
      return AwsAnswer(
          404, "NotFoundException",
          JsonMessageBody("No API with id " + *host_id + " (Host " + host +
                          "): wsgw serves " + ServedApiIds(apis) +
                          "; set \"apiId\" in a routes file to the id the code uses"));
    }
    if (target.stage && *target.stage != api->stage) {
      fields.push_back(
          Str("outcome", "404 API " + api->apiId + " has no stage " + *target.stage));
      Log::Info("management", fields);
      return AwsAnswer(
          404, "NotFoundException",
          JsonMessageBody("API " + api->apiId + " (Host " + host + ") has no stage " +
                          *target.stage + "; its stage is " + api->stage));
    }
  } else if (target.stage) {
    for (const ApiConfig& candidate : apis) {
      if (candidate.stage == *target.stage) api = &candidate;
    }
    if (api == nullptr) {
      fields.push_back(Str("outcome", "404 unknown stage " + *target.stage));
      Log::Info("management", fields);
      return AwsAnswer(404, "NotFoundException",
                              JsonMessageBody("No API at stage " + *target.stage));
    }
  }
  if (method != "POST" && method != "GET" && method != "DELETE") {
    fields.push_back(Str("outcome", "405"));
    Log::Info("management", fields);
    return AwsAnswer(
        405, "MethodNotAllowedException",
        JsonMessageBody("@connections accepts POST, GET and DELETE, not " + method));
  }
  Session* session = sessions_.Find(id);
  if (session != nullptr && api != nullptr && session->api != api) session = nullptr;
  if (session == nullptr || !session->Reachable()) {
    // A connection still in its $connect is not there yet, as on AWS (AWS-NOTES §4.3).
    fields.push_back(Str("outcome", "410 gone"));
    Log::Info("management", fields);
    return AwsAnswer(410, "GoneException", "");
  }

  if (method == "GET") {
    Json::Value body(Json::objectValue);
    body["connectedAt"] = Iso8601Millis(session->context.connectedAtMs);
    body["identity"]["sourceIp"] = session->context.sourceIp;
    if (session->context.userAgent) {
      body["identity"]["userAgent"] = *session->context.userAgent;
    }
    body["lastActiveAt"] = Iso8601Millis(session->lastActiveMs);
    fields.push_back(Str("outcome", "200"));
    Log::Info("management", fields);
    return AwsAnswer(200, "", CompactJson(body));
  }
  if (method == "DELETE") {
    sessions_.RequestClose(session, 1000, kReasonDeleted);
    fields.push_back(Str("outcome", "204"));
    Log::Info("management", fields);
    return AwsAnswer(204, "", "");
  }
  size_t limit = static_cast<size_t>(session->api->limits.maxMessageBytes);
  if (http.body.size() > limit) {
    fields.push_back(Str("outcome", "413 payload too large"));
    Log::Info("management", fields);
    return AwsAnswer(413, "PayloadTooLargeException", PayloadTooLargeMessage(limit));
  }
  if (session->outboundBytes + http.body.size() > kMaxOutboundBytes) {
    fields.push_back(Str("outcome", "429 client buffer full"));
    Log::Warn("management", fields);
    return AwsAnswer(
        429, "LimitExceededException",
        JsonMessageBody("The client is not reading: " + std::to_string(session->outboundBytes) +
                        " bytes are waiting to be sent to it"));
  }
  bool binary = !IsValidUtf8(http.body);
  fields.push_back(Str("outcome", "200"));
  fields.push_back(Num("bytes", static_cast<long long>(http.body.size())));
  if (Log::payloadBytes() > 0) {
    fields.push_back(binary ? Str("payload", "(binary)")
                            : Payload("payload", http.body, Log::payloadBytes()));
  }
  Log::Info("management", fields);
  sessions_.Send(session, http.body, binary);
  return AwsAnswer(200, "", "");
}

}  // namespace wsgw
