// AWS services answered on the gateway's own port in AWS's JSON protocol (DynamoDB's API): a POST
// whose X-Amz-Target names a configured service goes to that service's handler, on a worker
// thread (a handler may touch the disk; nothing on the loop waits for it), and its answer is
// written when the worker posts it back. The services themselves live in their own folders and
// know nothing of the gateway; main.cc hands them in as AwsJsonService (server/gateway.h).
// Signatures are not checked: any credentials, or none, are accepted, as local emulators do.
#pragma once

#include <libwebsockets.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "server/server_context.h"

namespace wsgw {

class AwsServices {
 public:
  explicit AwsServices(ServerContext& server);
  ~AwsServices();  // joins the worker; answers still queued are dropped
  AwsServices(const AwsServices&) = delete;
  AwsServices& operator=(const AwsServices&) = delete;

  // LWS_CALLBACK_HTTP: true when the request is for a service, which then owns it.
  bool Claim(lws* wsi, const std::string& method);
  bool Owns(lws* wsi) const { return requests_.count(wsi) > 0; }

  int OnBody(lws* wsi, const char* data, size_t length);
  int OnBodyComplete(lws* wsi);
  int OnWritable(lws* wsi);
  void OnClosed(lws* wsi);

 private:
  struct Request {
    uint64_t serial = 0;  // tells this request from a later one under a reused wsi address
    const AwsJsonService* service = nullptr;
    std::string operation;
    std::string body;
    bool tooLarge = false;
    bool answered = false;
    AwsJsonAnswer answer;
  };

  void RunWorker();

  ServerContext& server_;
  std::unordered_map<lws*, Request> requests_;
  uint64_t nextSerial_ = 1;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace wsgw
