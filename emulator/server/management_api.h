// Plain HTTP on the gateway's port: the @connections management API (POST, GET and DELETE of
// /STAGE/@connections/ID, with AWS's status codes and x-amzn-ErrorType names) and, when a web
// root is set, the demo's static pages. One HttpRequest per request, owned here from its head to
// its answer. A Host of API Gateway's own form (`{apiId}.execute-api.{region}.amazonaws.com`,
// what deployed code with a hard-coded endpoint sends) picks the API by its id when several are
// served; with one, any id is that API.
#pragma once

#include <cstdint>
#include <string>

#include "api/management_path.h"
#include "server/http_connection.h"
#include "server/server_context.h"
#include "server/sessions.h"

namespace wsgw {

class ManagementApi {
 public:
  ManagementApi(ServerContext& server, Sessions& sessions) : server_(server), sessions_(sessions) {}
  ManagementApi(const ManagementApi&) = delete;
  ManagementApi& operator=(const ManagementApi&) = delete;

  // Whether `head` is for @connections (else: a static file, or 404).
  static bool IsManagementPath(const HttpHead& head);
  // The largest PostToConnection body any served API takes (its maxMessageBytes).
  uint64_t MaxPostBytes() const;
  // A POST refused from its Content-Length alone: 413 PayloadTooLargeException.
  HttpResponse TooLarge(uint64_t length, uint64_t limit) const;
  // Answers @connections requests, static files (GET/HEAD, with a web root) and 404.
  HttpResponse Handle(const HttpRequest& request);

 private:
  HttpResponse Answer(const HttpRequest& request, const ManagementTarget& target);

  ServerContext& server_;
  Sessions& sessions_;
};

}  // namespace wsgw
