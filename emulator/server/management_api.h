// Plain HTTP on the gateway's port: the @connections management API (POST, GET and DELETE of
// /STAGE/@connections/ID, with AWS's status codes and x-amzn-ErrorType names) and, when a web
// root is set, the demo's static pages. One HttpRequest per request, owned here from its head to
// its answer. A Host of API Gateway's own form (`{apiId}.execute-api.{region}.amazonaws.com`,
// what deployed code with a hard-coded endpoint sends) picks the API by its id when several are
// served; with one, any id is that API.
#pragma once

#include <libwebsockets.h>

#include <string>
#include <unordered_map>

#include "api/management_path.h"
#include "server/server_context.h"
#include "server/sessions.h"

namespace wsgw {

class ManagementApi {
 public:
  ManagementApi(ServerContext& server, Sessions& sessions) : server_(server), sessions_(sessions) {}
  ManagementApi(const ManagementApi&) = delete;
  ManagementApi& operator=(const ManagementApi&) = delete;

  // The app protocol's HTTP callbacks; each returns what the lws callback should.
  int OnRequest(lws* wsi, const char* uri);
  int OnBody(lws* wsi, const char* data, size_t length);
  int OnBodyComplete(lws* wsi);
  void OnClosed(lws* wsi);

 private:
  struct HttpRequest {
    std::string method;
    std::string host;  // the Host header (HTTP/2: :authority)
    ManagementTarget target;
    std::string body;
    bool tooLarge = false;
  };

  int Answer(lws* wsi);

  ServerContext& server_;
  Sessions& sessions_;
  std::unordered_map<lws*, HttpRequest> requests_;
};

}  // namespace wsgw
