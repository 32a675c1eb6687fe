// The loop under libwebsockets: libev on epoll, created by the gateway and handed to lws as a
// "foreign" loop. lws's default backend calls poll() over every descriptor on each wakeup, which
// costs more than the work itself once there are a few hundred connections; epoll only reports
// the ready ones.
#pragma once

#include <memory>
#include <string>

struct ev_loop;
struct lws_context;
struct lws_context_creation_info;

namespace wsgw {

class EventLoop {
 public:
  // Null, with the reason in *error, when libev cannot make an epoll loop.
  static std::unique_ptr<EventLoop> Create(std::string* error);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // What lws_context_creation_info::foreign_loops points at.
  void* native() { return loop_; }

  // Makes the lws context created from `info` run on this loop (lws's libev plugin, this loop
  // as its "foreign" loop). Only lws_create_context reads what it sets.
  void UseIn(lws_context_creation_info* info);

  // One round: waits until something is ready (a descriptor, a timer), then handles it.
  void RunOnce();

  // Takes `fd` out of the kernel's interest list now, while it is still open. libev never does:
  // it counts on close() to drop the registration, which does not happen while a dup() of the
  // descriptor lives on (the gateway hands accepted sockets to lws that way). The stale entry
  // would then report the new owner's traffic under the old number, and libev answers that by
  // rebuilding its whole epoll set — once per connection, at a cost growing with all of them.
  void ForgetDescriptor(int fd);

  // libev's epoll descriptor, or -1 when it could not be told apart at creation (then
  // ForgetDescriptor does nothing and libev's own recovery applies). For tests and diagnostics.
  int epoll_descriptor() const { return epollFd_; }

 private:
  EventLoop(struct ev_loop* loop, int epoll_fd) : loop_(loop), epollFd_(epoll_fd) {}

  struct ev_loop* loop_;
  int epollFd_;
  void* foreignLoops_[1] = {nullptr};
};

// One turn of the loop `context` runs on: `loop`, or lws's own poll() loop when it is null (with
// an event library, lws_service() would not return until the loop ends). Negative on failure.
int ServiceOnce(EventLoop* loop, lws_context* context);

}  // namespace wsgw
