#include "server/server_context.h"

#include <fcntl.h>

#include <chrono>
#include <memory>

#include "api/lambda_event.h"
#include "base/http_head.h"
#include "base/log.h"
#include "server/raw_descriptor.h"

namespace wsgw {

int64_t NowMs() { return NowEpochMillis(); }

const ApiConfig* ServerContext::ApiForPath(const std::string& path) const {
  std::string decoded = PercentDecode(path, false);
  while (decoded.size() > 1 && decoded.back() == '/') decoded.pop_back();
  for (const ApiConfig& api : options.apis) {
    if (decoded == "/" + api.stage) return &api;
  }
  return nullptr;
}

void ServerContext::Post(std::function<void()> work) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(postedMutex_);
    // Work already waiting has woken the loop (or will): one wake-up serves the whole queue.
    wake = posted_.empty();
    posted_.push_back(std::move(work));
  }
  if (wake) lws_cancel_service(context);
}

void ServerContext::RunPosted() {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard<std::mutex> lock(postedMutex_);
    ready.swap(posted_);
  }
  for (auto& work : ready) work();
}

void ServerContext::Invoke(const FunctionConfig& function, const Json::Value& event,
                           std::function<void(InvokeOutcome)> done) {
  Invoke(function, SerializeEvent(event), std::move(done));
}

void ServerContext::Invoke(const FunctionConfig& function, std::string payload,
                           std::function<void(InvokeOutcome)> done) {
  if (invoker == nullptr) return;  // the loop is being torn down
  ++invocationsInFlight;
  bool supervised = function.supervised;
  if (function.environmentUrls.empty()) {
    invoker->Invoke(function.url, std::move(payload), function.timeoutMs,
                    [this, supervised, done = std::move(done)](InvokeOutcome outcome) mutable {
                      if (supervised) outcome = ForStartedFunction(std::move(outcome));
                      --invocationsInFlight;
                      done(std::move(outcome));
                      if (afterInvocation) afterInvocation();
                    });
    return;
  }
  // One invocation at a time per environment; the rest wait, up to the function's bound.
  std::unique_ptr<EnvironmentPool>& slot = environmentPools[function.url];
  if (!slot) {
    // A warm-up is an invoke the host answers 204 once the environment is ready, without
    // running the handler (lambda-bridge/hosts/README.md, "Direct environments").
    auto warm_up = [this, key = function.url, urls = function.environmentUrls,
                    timeout_ms = function.timeoutMs](size_t environment) {
      if (invoker == nullptr) return;
      invoker->Invoke(urls[environment] + "?wsgw-warmup", "{}", timeout_ms,
                      [this, key, environment](InvokeOutcome) {
                        auto found = environmentPools.find(key);
                        if (found != environmentPools.end()) found->second->Warmed(environment);
                      });
    };
    slot = std::make_unique<EnvironmentPool>(function.environmentUrls.size(),
                                             static_cast<size_t>(MaxQueuedOf(function)),
                                             std::move(warm_up));
  }
  EnvironmentPool* pool = slot.get();
  const auto queued_at = std::chrono::steady_clock::now();
  auto shared_done = std::make_shared<std::function<void(InvokeOutcome)>>(std::move(done));
  auto finish = [this, shared_done](InvokeOutcome outcome) {
    --invocationsInFlight;
    (*shared_done)(std::move(outcome));
    if (afterInvocation) afterInvocation();
  };
  const std::vector<std::string> urls = function.environmentUrls;
  const int timeout_ms = function.timeoutMs;
  auto start = [this, pool, urls, timeout_ms, queued_at, finish,
                payload = std::move(payload)](size_t environment) mutable {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - queued_at)
                            .count();
    // The integration timeout counts from when the gateway called, queue included.
    const long left = static_cast<long>(timeout_ms) - static_cast<long>(waited);
    if (invoker == nullptr || left <= 0) {
      InvokeOutcome outcome;
      outcome.kind = InvokeOutcome::Kind::kTimeout;
      outcome.detail = "timed out after " + std::to_string(timeout_ms) +
                       " ms waiting for an execution environment";
      outcome.latencyMs = static_cast<double>(waited);
      // Not from inside Release/Submit's caller chain: the environment is free again.
      pool->Release(environment);
      finish(std::move(outcome));
      return;
    }
    invoker->Invoke(
        urls[environment], std::move(payload), static_cast<int>(left),
        [pool, environment, finish](InvokeOutcome outcome) mutable {
          outcome = ForStartedFunction(std::move(outcome));
          pool->Release(environment);  // may start the next queued invocation
          finish(std::move(outcome));
        },
        queued_at);
  };
  if (!pool->Submit(std::move(start))) {
    // Lambda's answer to an invocation past the function's reserved concurrency (429
    // TooManyRequestsException); API Gateway turns an invoke failure into 500 / "Internal server
    // error" (AWS-NOTES §4 and §5).
    InvokeOutcome outcome;
    outcome.kind = InvokeOutcome::Kind::kBadStatus;
    outcome.httpStatus = 429;
    outcome.body =
        R"({"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."})";
    outcome.detail = "throttled: all " + std::to_string(pool->environments()) +
                     " execution environments busy and " + std::to_string(pool->max_queued()) +
                     " invocations queued (TooManyRequestsException)";
    // As every other answer: never from inside Invoke.
    Post([finish, outcome = std::move(outcome)]() mutable { finish(std::move(outcome)); });
  }
}

int ServerContext::CopyForLws(int fd) {
  if (eventLoop != nullptr) eventLoop->ForgetDescriptor(fd);
  return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

}  // namespace wsgw

namespace wsgw {

lws* ServerContext::AdoptRaw(int fd, RawDescriptor* descriptor) {
  lws_adopt_desc_t desc{};
  desc.vh = vhost;
  desc.type = LWS_ADOPT_RAW_FILE_DESC;
  desc.fd.filefd = fd;
  desc.vh_prot_name = kAcceptorProtocol;
  desc.opaque = descriptor;
  return lws_adopt_descriptor_vhost_via_info(&desc);
}

}  // namespace wsgw
