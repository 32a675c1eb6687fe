// The function-invocation path's own HTTP/1.1 client: POSTs to `http://` URLs whose host is a
// literal IP address (every supervised function, and the usual `http://127.0.0.1:9000/...` of
// a Runtime Interface Emulator), over keep-alive connections it pools per endpoint.
//
// It exists for speed. With libcurl, a loopback invocation cost the gateway about 20 µs of CPU
// in curl's per-transfer machinery and its liveness poll()s, several times the HTTP exchange
// itself. Responses are parsed by Node's http-parser (as the acceptor parses request heads);
// this file only moves bytes and keeps the connections. Everything else (https, host names that
// need DNS) stays with libcurl: InvokeEngine picks the client per URL.
//
// Driven by InvokeEngine's loop and not thread-safe. Its sockets live in the epoll set the engine
// hands it; the engine passes back their events.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/function_answer.h"

namespace wsgw {

class PlainHttpClient {
 public:
  using Clock = std::chrono::steady_clock;
  using Done = std::function<void(HttpAnswer)>;

  // Events of the client's sockets carry ids below this bit; the engine may tag its own above.
  static constexpr uint64_t kForeignIdBit = uint64_t{1} << 63;

  // `epoll_fd` is where the client's sockets are watched; the caller passes their events to
  // OnEvent. Bodies larger than `max_body_bytes` end as kTooLarge.
  PlainHttpClient(int epoll_fd, size_t max_body_bytes);
  ~PlainHttpClient();  // closes every connection; callbacks of calls in flight are not run
  PlainHttpClient(const PlainHttpClient&) = delete;
  PlainHttpClient& operator=(const PlainHttpClient&) = delete;

  // True when Post can carry `url`: http://, a literal IPv4 or IPv6 host, no user info.
  static bool Accepts(std::string_view url);
  // Accepts(url), remembered per URL along with everything Post needs to know of it.
  bool Carries(const std::string& url);

  // POSTs `payload` as application/json to `url` (which Carries). `timeout_ms` <= 0: no deadline.
  // `done` runs exactly once, from OnEvent or OnTimeout, never inside Post.
  void Post(const std::string& url, std::string payload, int timeout_ms, Done done);

  // An epoll event of one of the client's sockets (`id` is the event's data.u64).
  void OnEvent(uint64_t id, uint32_t events);

  // When OnTimeout has work: the earliest deadline, or now when failures found inside Post
  // wait to be reported. nullopt: nothing to wait for.
  std::optional<Clock::time_point> NextWakeup() const;
  // Reports the failures found inside Post and ends every call past its deadline.
  void OnTimeout();

  // Open connections, idle or busy (for tests).
  size_t OpenConnections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsgw
