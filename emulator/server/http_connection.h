// One plain HTTP/1.1 connection (@connections, DynamoDB's API, the demo's pages, and the answers
// to every other path), from its first request head to its close, on the acceptor's raw
// descriptor: lws never parses plain HTTP, so every request of a kept-alive connection passes
// the same checks (base/http_request_reader.h) as its first. Requests are taken one at a time:
// the next is not read until the answer to the one before is written, so pipelined requests are
// answered in order and a client that does not read its answers stops being read. Deadlines: a
// request head must be complete 10 s after its first byte, a body 10 s after its head, and a
// kept-alive connection may be idle for 30 s between requests. A refusal is written, then the
// connection is half-closed and drained (at most 2 s) so that the client reads the answer
// instead of a reset.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/http_request_reader.h"

namespace wsgw {

struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool headOnly = false;  // HEAD: Content-Length of the body, but no body
};

// Called once, on the loop, possibly after the handler returned.
using HttpReply = std::function<void(HttpResponse)>;

// Where the gateway's plain HTTP requests go (gateway.cc routes them to its parts).
class HttpRoutes {
 public:
  // The largest body the request with `head` may have.
  virtual uint64_t MaxBodyBytes(const HttpHead& head) const = 0;
  // The answer to a head whose Content-Length is over MaxBodyBytes.
  virtual HttpResponse TooLarge(const HttpHead& head, uint64_t length, uint64_t limit) const = 0;
  // `peer`: the client's address; `secure`: it came over TLS.
  virtual void Handle(HttpRequest request, const std::string& peer, bool secure,
                      HttpReply reply) = 0;

 protected:
  ~HttpRoutes() = default;
};

// The bytes of a whole response; `closing` adds "Connection: close". Header lines with CR or LF
// in a name or value are left out, so nothing a client sent can split a response.
std::string SerializeHttpResponse(const HttpResponse& answer, bool closing);

class HttpConnection {
 public:
  // Says why a request may not be served on this connection (404 with those words), or nullopt.
  using Screen = std::function<std::optional<std::string>(const HttpHead& head)>;

  // `screen`: checked for every request (the services-only port's); may be empty.
  HttpConnection(lws* wsi, int fd, HttpRoutes& routes, std::string peer, bool secure,
                 Screen screen = {});
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // lws's raw-descriptor events; nonzero closes the connection.
  int OnReadable();
  int OnWritable();

 private:
  // Writes what is queued, reads the next request, closes: whatever the state allows now.
  // Nonzero when the connection is to be closed.
  int Process();
  void OnAnswer(HttpResponse answer);
  // Queues a response; `closing` ends the connection after it.
  void Queue(const HttpResponse& answer, bool closing);
  // Sends what is queued, as far as the socket takes it; false on an error.
  bool WriteOut();
  void SetReading(bool on);
  void Kill();

  lws* wsi_;
  int fd_;
  HttpRoutes& routes_;
  Screen screen_;
  std::string peer_;
  bool secure_;
  HttpRequestReader reader_;
  std::string out_;
  size_t outSent_ = 0;
  bool answering_ = false;  // a request is with its handler
  bool keepAlive_ = true;
  bool closing_ = false;   // no request after the queued answer
  bool draining_ = false;  // answered and half-closed: reading until the client's FIN
  bool peerDone_ = false;  // the client sent FIN
  bool processing_ = false;
  bool reading_ = true;
  bool headStarted_ = false;  // the head deadline runs for the head being read
  bool bodyStarted_ = false;  // the body deadline runs (and 100 Continue is sent)
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace wsgw
