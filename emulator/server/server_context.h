// What every part of the server shares, all on the loop's thread: the options, the lws context
// and its loop, work posted to the loop from other threads, and function calls (InvokeEngine on
// the same loop). The parts (HeldHandshakes, Sessions, ManagementApi) each own their own state
// and reach each other only through their methods.
#pragma once

#include <libwebsockets.h>
#include <json/json.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/function_answer.h"
#include "api/routes_config.h"
#include "invoke/environment_pool.h"
#include "invoke/invoke_engine.h"
#include "server/event_loop.h"
#include "server/gateway.h"
#include "server/raw_descriptor.h"

namespace wsgw {

// The lws protocols: sessions and plain HTTP run on the first, raw descriptors on the second.
inline constexpr char kAppProtocol[] = "wsgw-app";
inline constexpr char kAcceptorProtocol[] = "wsgw-acceptor";

int64_t NowMs();

class ServerContext {
 public:
  explicit ServerContext(GatewayOptions options) : options(std::move(options)) {}

  // Constant but for its APIs, which a live reload replaces on the loop (Gateway::ReplaceApis).
  GatewayOptions options;
  std::vector<ApiConfig>& MutableApis() { return options.apis; }
  std::unique_ptr<EventLoop> eventLoop;  // null when lws runs its own poll() loop instead
  lws_context* context = nullptr;
  lws_vhost* vhost = nullptr;
  int boundPort = 0;
  bool shuttingDown = false;

  // Function calls run on this loop: the engine's epoll descriptor is adopted beside the
  // listener. Reset before the context is destroyed.
  std::unique_ptr<InvokeEngine> invoker;
  int invocationsInFlight = 0;
  // The execution environments of each function that has several (FunctionConfig's
  // environmentUrls), by the function's url: created at its first invocation.
  std::unordered_map<std::string, std::unique_ptr<EnvironmentPool>> environmentPools;
  // Runs after each invocation's callback (the gateway's shutdown and memory bookkeeping).
  std::function<void()> afterInvocation;

  // "HOST:PORT", the events' domainName.
  std::string DomainName() const { return options.host + ":" + std::to_string(boundPort); }

  // The API served at request path `path` (percent-decoded, trailing slashes ignored), or null.
  const ApiConfig* ApiForPath(const std::string& path) const;

  // Work handed to the loop, from any thread; it runs from a later turn of the loop.
  void Post(std::function<void()> work);
  void RunPosted();

  // `done` runs on the loop, never before Invoke returns; a function the gateway started is
  // judged by ForStartedFunction.
  void Invoke(const FunctionConfig& function, const Json::Value& event,
              std::function<void(InvokeOutcome)> done);
  void Invoke(const FunctionConfig& function, std::string payload,
              std::function<void(InvokeOutcome)> done);

  // A dup() of an accepted socket for lws to adopt (lws closes the original with its raw wsi),
  // after taking the original out of the loop's epoll set (EventLoop::ForgetDescriptor). -1 with
  // errno on failure.
  int CopyForLws(int fd);

  // Adopts `fd` into the loop as a raw file of the acceptor protocol, reporting to `descriptor`;
  // null when lws refuses it (then `fd` is still the caller's).
  lws* AdoptRaw(int fd, RawDescriptor* descriptor);

 private:
  std::mutex postedMutex_;
  std::vector<std::function<void()>> posted_;
};

}  // namespace wsgw
