#include "server/event_loop.h"

#include <dirent.h>
#include <dlfcn.h>
#include <ev.h>
#include <libwebsockets.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

namespace wsgw {

namespace {

// The process's open descriptors that are epoll instances.
std::set<int> EpollDescriptors() {
  std::set<int> found;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return found;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    char target[64];
    std::string link = std::string("/proc/self/fd/") + entry->d_name;
    ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (std::string(target) == "anon_inode:[eventpoll]") found.insert(static_cast<int>(fd));
  }
  closedir(dir);
  return found;
}

}  // namespace

}  // namespace wsgw

// libwebsockets 4.1.6's libev plugin moves its timer earlier with ev_timer_set() followed by
// ev_timer_start(), and libev ignores a start while the timer is running: a timer due in 300 ms
// waited for one due in 30 s. This definition, exported from the executable, is the one the
// plugin calls; it restarts a running timer at the time just set, then calls libev's own.
extern "C" void ev_timer_start(struct ev_loop* loop, ev_timer* timer) noexcept {
  using Start = void (*)(struct ev_loop*, ev_timer*);
  static const Start libev_start = reinterpret_cast<Start>(dlsym(RTLD_NEXT, "ev_timer_start"));
  if (ev_is_active(timer)) {
    ev_tstamp after = timer->at;  // relative, as ev_timer_set wrote it
    ev_timer_stop(loop, timer);
    timer->at = after;
  }
  libev_start(loop, timer);
}

namespace wsgw {

std::unique_ptr<EventLoop> EventLoop::Create(std::string* error) {
  // libev has no accessor for its backend descriptor: it is the epoll instance that appears
  // while the loop is made.
  std::set<int> before = EpollDescriptors();
  struct ev_loop* loop = ev_loop_new(static_cast<unsigned>(EVBACKEND_EPOLL) |
                                     static_cast<unsigned>(EVFLAG_NOENV) |
                                     static_cast<unsigned>(EVFLAG_NOSIGMASK));
  if (loop == nullptr) {
    *error = "libev could not create an epoll loop";
    return nullptr;
  }
  int epoll_fd = -1;
  for (int fd : EpollDescriptors()) {
    if (before.count(fd) != 0) continue;
    epoll_fd = epoll_fd == -1 ? fd : -2;
  }
  return std::unique_ptr<EventLoop>(new EventLoop(loop, epoll_fd < 0 ? -1 : epoll_fd));
}

EventLoop::~EventLoop() { ev_loop_destroy(loop_); }

void EventLoop::RunOnce() { ev_run(loop_, EVRUN_ONCE); }

void EventLoop::UseIn(lws_context_creation_info* info) {
  foreignLoops_[0] = loop_;
  info->foreign_loops = foreignLoops_;
  info->options |= LWS_SERVER_OPTION_LIBEV;
}

int ServiceOnce(EventLoop* loop, lws_context* context) {
  if (loop == nullptr) return lws_service(context, 0);
  loop->RunOnce();
  return 0;
}

void EventLoop::ForgetDescriptor(int fd) {
  if (epollFd_ < 0) return;
  epoll_event unused{};
  // ENOENT (never registered) and EBADF are fine: there is then nothing stale to remove.
  epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, &unused);
}

}  // namespace wsgw
