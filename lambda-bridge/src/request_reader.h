// Internal to the runtime: the Invoke API server's reader of one connection's bytes (server.cc),
// apart from its socket so that tests/fuzz/lambda_request_reader_fuzz.cc can drive it. It parses
// HTTP/1.1 with http-parser, one request at a time (keep-alive and pipelining: it stops after each
// complete request), and fails a request whose body passes the limit, from its Content-Length
// when it has one, before reading the body.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <string>

namespace wsgw::lambda {

struct InvokeRequest {
  std::string method;
  std::string url;
  std::string body;
  bool keep_alive = true;
};

class RequestReader {
 public:
  explicit RequestReader(size_t max_body_bytes);
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  enum class Step {
    kNeedMore,  // everything given was consumed; no request is complete yet
    kRequest,   // request() is complete; call Feed again with the rest
    kError,     // malformed or too large: answer, then close; nothing more is read
  };
  // Reads from `data` up to the end of the next request; `*consumed` gets how many bytes it used.
  Step Feed(const char* data, size_t length, size_t* consumed);

  const InvokeRequest& request() const { return request_; }
  // The head of the request being read asked for "Expect: 100-continue" and has not had it yet;
  // true once per request.
  bool TakeContinue();
  bool tooLarge() const { return tooLarge_; }
  const char* errorDescription() const;

 private:
  static int OnMessageBegin(http_parser* parser);
  static int OnUrl(http_parser* parser, const char* at, size_t length);
  static int OnHeaderField(http_parser* parser, const char* at, size_t length);
  static int OnHeaderValue(http_parser* parser, const char* at, size_t length);
  static int OnHeadersComplete(http_parser* parser);
  static int OnBody(http_parser* parser, const char* at, size_t length);
  static int OnMessageComplete(http_parser* parser);
  void FinishHeader();

  size_t maxBodyBytes_;
  http_parser parser_;
  http_parser_settings settings_;
  InvokeRequest request_;
  std::string headerField_;
  std::string headerValue_;
  bool inValue_ = false;
  bool expectContinue_ = false;
  bool continueDue_ = false;
  bool tooLarge_ = false;
  bool failed_ = false;
};

}  // namespace wsgw::lambda
