#include "server/server_context.h"

#include <fcntl.h>

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
  invoker->Invoke(function.url, std::move(payload), function.timeoutMs,
                  [this, supervised, done = std::move(done)](InvokeOutcome outcome) mutable {
                    if (supervised) outcome = ForStartedFunction(std::move(outcome));
                    --invocationsInFlight;
                    done(std::move(outcome));
                    if (afterInvocation) afterInvocation();
                  });
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
