// Invokes functions through the Lambda Invoke API over HTTP (libcurl), off the caller's thread.
// One worker thread drives a curl multi handle: invocations run concurrently, and connections
// to the same function are kept alive and reused.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace wsgw {

struct InvokeOutcome {
  enum class Kind {
    kOk,             // HTTP 200 and not a function error; body = the function's result
    kFunctionError,  // X-Amz-Function-Error, or a 200 error body (errorMessage/errorType, no statusCode)
    kUnreachable,    // connection refused, DNS, reset before a response...
    kTimeout,        // no complete response within timeoutMs
    kBadStatus,      // the invoke endpoint answered a status other than 200
  };
  Kind kind = Kind::kUnreachable;
  long httpStatus = 0;
  std::string body;
  std::string detail;  // human words for the log: "connection refused", "timed out after 29000 ms"
  double latencyMs = 0;
};

const char* ToString(InvokeOutcome::Kind kind);

class InvokeClient {
 public:
  InvokeClient();
  ~InvokeClient();  // cancels what is in flight; callbacks of cancelled calls are not run
  InvokeClient(const InvokeClient&) = delete;
  InvokeClient& operator=(const InvokeClient&) = delete;

  using Callback = std::function<void(InvokeOutcome)>;

  // Thread-safe. POSTs `payload` (application/json) to `url` with a `timeout_ms` deadline.
  // `done` runs once, on the client's worker thread.
  void Invoke(const std::string& url, std::string payload, int timeout_ms, Callback done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsgw
