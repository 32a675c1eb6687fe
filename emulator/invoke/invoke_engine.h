// Invokes functions through the Lambda Invoke API over HTTP: plain http:// calls to IP addresses
// (every function the gateway starts) through PlainHttpClient, everything else (https, host
// names) through libcurl's multi interface. Invocations run concurrently, connections to the same
// function are kept alive and reused, and api/function_answer.h says what each answer means.
//
// InvokeEngine does the work on whatever event loop drives it (the gateway's lws loop: no thread
// hop per invocation); InvokeClient wraps it in a worker thread of its own for callers without a
// loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/function_answer.h"

namespace wsgw {


// Driven by one event loop, and not thread-safe: every call, and every callback, happens on the
// loop's thread. The loop watches fd() for readability and keeps the one timer the engine asks
// for through `set_timer`.
class InvokeEngine {
 public:
  using Callback = std::function<void(InvokeOutcome)>;
  // Called from inside the engine's own methods: call OnTimeout() once `ms` milliseconds have
  // passed (0: as soon as the loop comes round, never from inside this call); -1 cancels.
  // A new call replaces the previous timer.
  using TimerHook = std::function<void(long ms)>;

  explicit InvokeEngine(TimerHook set_timer);
  ~InvokeEngine();  // cancels what is in flight; callbacks of cancelled calls are not run
  InvokeEngine(const InvokeEngine&) = delete;
  InvokeEngine& operator=(const InvokeEngine&) = delete;

  // Readable (poll POLLIN) when OnReadable() has work. The engine owns it; a loop that closes
  // what it watches should watch a dup().
  int fd() const;

  // As InvokeClient::Invoke; `done` never runs before Invoke returns. `started` is when the
  // invocation's latency starts.
  void Invoke(const std::string& url, std::string payload, int timeout_ms, Callback done,
              std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now());

  void OnReadable();
  void OnTimeout();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

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
