// RFC 6455 checks on what a WebSocket client sends, before libwebsockets parses it.
//
// libwebsockets 4.1 accepts unmasked client frames, and the violations it does detect (reserved
// opcodes, RSV bits, continuation order, fragmented control frames) it answers with a close code
// the gateway never sees, so $disconnect could only say 1006. So every byte lws reads from an
// open WebSocket connection passes through a WebSocketFrameChecker first: the process's recv()
// is this file's (lws calls recv() for every plain socket; TLS connections reach lws as plain
// sockets from tls_tunnels.cc), and for a watched descriptor it hands lws only the bytes before
// the first violating frame. The violation goes to the owner (Sessions), which closes the
// connection with its code; later bytes from that client are read and dropped, so the socket
// never spins the loop, and lws never parses them.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/websocket_frame_checker.h"

namespace wsgw {

class ClientFrameGuard {
 public:
  // Runs from inside lws's read of the connection: it must only record or post work.
  using OnViolation = std::function<void(const std::string& connectionId, const FrameViolation&)>;

  explicit ClientFrameGuard(OnViolation on_violation) : onViolation_(std::move(on_violation)) {}
  ~ClientFrameGuard();
  ClientFrameGuard(const ClientFrameGuard&) = delete;
  ClientFrameGuard& operator=(const ClientFrameGuard&) = delete;

  // Starts checking what lws reads from `fd`, on the calling thread (the loop's). `early` are
  // the connection's bytes read before lws had it (they reach lws with its head): returns how
  // many of them lws may have.
  size_t Watch(int fd, const std::string& connection_id, int max_frame_bytes,
               int max_message_bytes, std::string_view early);
  // Before `fd` is closed.
  void Forget(int fd);

  // recv() for the loop's thread.
  ssize_t Receive(int fd, void* buffer, size_t length, int flags);

 private:
  struct Watched {
    std::string connectionId;
    WebSocketFrameChecker checker;
    // The socket's identity: a descriptor number lws closed without Forget (a wsi that died
    // before the gateway heard of it) may be reused by any socket, which must then pass
    // untouched. Checked only where a byte would be withheld.
    dev_t device = 0;
    ino_t inode = 0;
  };
  static bool SameSocket(int fd, const Watched& watched);
  void Report(const Watched& watched);

  OnViolation onViolation_;
  std::unordered_map<int, Watched> watched_;
};

}  // namespace wsgw
