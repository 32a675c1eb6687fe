// AWS services answered on the gateway's own port in AWS's JSON protocol (DynamoDB's API): a POST
// whose X-Amz-Target names a configured service goes to that service's handler, on a worker
// thread (a handler may touch the disk; nothing on the loop waits for it), and its answer is
// written when the worker posts it back. The services themselves live in their own folders and
// know nothing of the gateway; main.cc hands them in as AwsJsonService (server/gateway.h).
// Signatures are not checked: any credentials, or none, are accepted, as local emulators do.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "server/http_connection.h"
#include "server/server_context.h"

namespace wsgw {

class AwsServices {
 public:
  explicit AwsServices(ServerContext& server);
  ~AwsServices();  // joins the worker; answers still queued are dropped
  AwsServices(const AwsServices&) = delete;
  AwsServices& operator=(const AwsServices&) = delete;

  // The service a request with `head` is for (a POST with an X-Amz-Target), or null.
  const AwsJsonService* ServiceFor(const HttpHead& head) const;
  // Runs `request` (for `service`) on the worker; `reply` is called on the loop.
  void Handle(const AwsJsonService& service, HttpRequest request, HttpReply reply);
  // The answer to a body over the service's maxBodyBytes.
  HttpResponse TooLarge(const AwsJsonService& service) const;

 private:
  void RunWorker();

  HttpResponse AnswerOf(const AwsJsonService& service, const AwsJsonAnswer& answer) const;

  ServerContext& server_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace wsgw
