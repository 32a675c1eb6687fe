#include "server/client_frame_guard.h"

#include <sys/socket.h>

#include <cerrno>

namespace wsgw {
namespace {

// The guard of the thread running a gateway's loop; null on every other thread.
thread_local ClientFrameGuard* t_guard = nullptr;

ssize_t RealRecv(int fd, void* buffer, size_t length, int flags) {
  // recv() is recvfrom() without an address (POSIX); calling libc's recvfrom avoids dlsym.
  return recvfrom(fd, buffer, length, flags, nullptr, nullptr);
}

}  // namespace

ClientFrameGuard::~ClientFrameGuard() {
  if (t_guard == this) t_guard = nullptr;
}

size_t ClientFrameGuard::Watch(int fd, const std::string& connection_id, int max_frame_bytes,
                               int max_message_bytes, std::string_view early) {
  t_guard = this;
  watched_.erase(fd);
  auto [it, added] = watched_.emplace(
      fd, Watched{connection_id, WebSocketFrameChecker(static_cast<uint64_t>(max_frame_bytes),
                                                       static_cast<uint64_t>(max_message_bytes))});
  (void)added;
  struct stat info;
  if (fstat(fd, &info) == 0) {
    it->second.device = info.st_dev;
    it->second.inode = info.st_ino;
  }
  size_t allowed = it->second.checker.Feed(reinterpret_cast<const unsigned char*>(early.data()),
                                           early.size());
  if (allowed < early.size()) Report(it->second);
  return allowed;
}

void ClientFrameGuard::Forget(int fd) { watched_.erase(fd); }

bool ClientFrameGuard::SameSocket(int fd, const Watched& watched) {
  struct stat info;
  return fstat(fd, &info) == 0 && info.st_dev == watched.device && info.st_ino == watched.inode;
}

void ClientFrameGuard::Report(const Watched& watched) {
  if (onViolation_ && watched.checker.violation()) {
    onViolation_(watched.connectionId, *watched.checker.violation());
  }
}

ssize_t ClientFrameGuard::Receive(int fd, void* buffer, size_t length, int flags) {
  auto it = watched_.find(fd);
  if (it == watched_.end() || (flags & MSG_PEEK) != 0) return RealRecv(fd, buffer, length, flags);
  WebSocketFrameChecker& checker = it->second.checker;
  if (checker.violation() && !SameSocket(fd, it->second)) {
    watched_.erase(it);
    return RealRecv(fd, buffer, length, flags);
  }
  if (checker.violation()) {
    // Being closed for a violation: what follows is read (so the descriptor stops being
    // readable) and dropped; an end of stream or an error still reaches lws.
    ssize_t n = RealRecv(fd, buffer, length, flags);
    if (n <= 0) return n;
    errno = EAGAIN;
    return -1;
  }
  ssize_t n = RealRecv(fd, buffer, length, flags);
  if (n <= 0 || checker.closed()) return n;
  size_t allowed = checker.Feed(static_cast<const unsigned char*>(buffer), static_cast<size_t>(n));
  if (allowed == static_cast<size_t>(n)) return n;
  if (!SameSocket(fd, it->second)) {
    watched_.erase(it);
    return n;
  }
  Report(it->second);
  if (allowed == 0) {
    errno = EAGAIN;
    return -1;
  }
  return static_cast<ssize_t>(allowed);
}

}  // namespace wsgw

// The process's recv(): libwebsockets' reads of the gateway's sockets come here (exported from
// the executable, see emulator/CMakeLists.txt); everything else goes straight to the kernel.
extern "C" ssize_t recv(int fd, void* buffer, size_t length, int flags) {
  if (wsgw::t_guard != nullptr) return wsgw::t_guard->Receive(fd, buffer, length, flags);
  return wsgw::RealRecv(fd, buffer, length, flags);
}
