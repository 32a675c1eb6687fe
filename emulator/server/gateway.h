// The gateway: one port serving every configured WebSocket API under its stage path, the
// @connections management API, and plain HTTP answers for everything else.
//
// All socket I/O, timers, connection state and function invocations (InvokeEngine, its curl
// sockets watched through one epoll descriptor adopted into the loop) live on one libwebsockets
// service loop. The WebSocket handshake is held open until `$connect` answers (design: docs/HANDSHAKE.md).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/routes_config.h"

namespace wsgw {

// What an AwsJsonService answers: an HTTP status and a JSON body.
struct AwsJsonAnswer {
  int status = 200;
  std::string body;
};

// An AWS service in AWS's JSON protocol (DynamoDB's API) served on the gateway's port: POSTs whose
// X-Amz-Target is `targetPrefix` + an operation name. `handle` runs on a worker thread of the
// gateway's, one request at a time, never on the loop.
struct AwsJsonService {
  std::string targetPrefix;  // "DynamoDB_20120810."
  std::string contentType;   // of every answer: "application/x-amz-json-1.0"
  size_t maxBodyBytes = 16 * 1024 * 1024;
  std::function<AwsJsonAnswer(const std::string& operation, std::string body)> handle;
  std::function<AwsJsonAnswer()> tooLarge;  // the answer to a body over maxBodyBytes
};

struct GatewayOptions {
  std::vector<ApiConfig> apis;
  std::string host = "127.0.0.1";
  int port = 3001;  // 0 picks a free port
  int shutdownGraceMs = 5000;  // how long SIGINT/SIGTERM waits for $disconnect deliveries
  std::string webRoot;         // when set, GET/HEAD of other paths serve files from here
  std::vector<AwsJsonService> awsServices;
  // When > 0 (or 0 to pick one), a second port that answers only awsServices' requests.
  int servicesOnlyPort = -1;
  // TLS on the same port(s) as plaintext (server/tls_tunnels.h); both empty: TLS is off and a
  // ClientHello is refused at once.
  std::string tlsCertFile;
  std::string tlsKeyFile;
};

class Gateway {
 public:
  explicit Gateway(GatewayOptions options);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Blocks SIGINT/SIGTERM (they are read on the loop), binds the port and creates the loop.
  bool Start(std::string* error);

  // Serves until SIGINT or SIGTERM, then closes every client with 1001 "Going away", delivers
  // their $disconnect events (bounded by shutdownGraceMs) and returns.
  void Run();

  int port() const;
  int servicesOnlyPort() const;  // -1 when there is none
  bool tls() const;              // the port also speaks TLS
  std::string host() const;
  const std::vector<ApiConfig>& apis() const;

  // Live reload (docs/SPEC.md "Live reload"): swaps in `apis` (as many as are served, in the same
  // order) on the loop, between two events, so that every open connection keeps its
  // connectionId and its next message is routed by the new routes, functions and limits. Call
  // from any thread but the loop's while Run runs; returns once the loop has swapped them, or
  // false when the loop did not within `timeout_ms` (it is stopping).
  bool ReplaceApis(std::vector<ApiConfig> apis, int timeout_ms);

  struct Impl;  // the server's parts and their loop; defined in gateway.cc

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsgw
