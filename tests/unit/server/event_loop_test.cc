#include "server/event_loop.h"

#include <ev.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

namespace wsgw {
namespace {

// The descriptors registered in an epoll instance, as the kernel lists them.
std::string EpollRegistrations(int epoll_fd) {
  std::ifstream info("/proc/self/fdinfo/" + std::to_string(epoll_fd));
  std::string line, registered;
  while (std::getline(info, line)) {
    if (line.rfind("tfd:", 0) == 0) registered += line.substr(0, line.find(" events")) + "\n";
  }
  return registered;
}

bool IsRegistered(int epoll_fd, int fd) {
  std::string all = EpollRegistrations(epoll_fd);
  for (size_t at = 0; at < all.size();) {
    size_t end = all.find('\n', at);
    if (std::stoi(all.substr(at + 4, end - at - 4)) == fd) return true;  // "tfd:        7"
    at = end + 1;
  }
  return false;
}

struct Fired {
  ev_timer timer;
  bool fired = false;
};

TEST(EventLoop, CreatesAnEpollLoopAndFindsItsDescriptor) {
  std::string error;
  std::unique_ptr<EventLoop> loop = EventLoop::Create(&error);
  ASSERT_NE(loop, nullptr) << error;
  ASSERT_GE(loop->epoll_descriptor(), 0);
  char target[64] = {};
  std::string link = "/proc/self/fd/" + std::to_string(loop->epoll_descriptor());
  ASSERT_GT(readlink(link.c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "anon_inode:[eventpoll]");
}

// lws's libev plugin moves its running timer earlier with ev_timer_set + ev_timer_start; the
// gateway's ev_timer_start must honour the new time (libev's own ignores a running timer).
TEST(EventLoop, RestartingARunningTimerUsesTheNewTime) {
  std::string error;
  std::unique_ptr<EventLoop> loop = EventLoop::Create(&error);
  ASSERT_NE(loop, nullptr) << error;
  auto* ev = static_cast<struct ev_loop*>(loop->native());
  Fired fired;
  ev_timer_init(&fired.timer, [](struct ev_loop*, ev_timer* w, int) {
    reinterpret_cast<Fired*>(w)->fired = true;
  }, 30.0, 0.0);
  ev_timer_start(ev, &fired.timer);
  ev_timer_set(&fired.timer, 0.02, 0.0);
  ev_timer_start(ev, &fired.timer);

  auto started = std::chrono::steady_clock::now();
  while (!fired.fired && std::chrono::steady_clock::now() - started < std::chrono::seconds(5)) {
    loop->RunOnce();
  }
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_TRUE(fired.fired);
  EXPECT_LT(waited, 2.0) << "the timer kept its first time (30 s)";
  ev_timer_stop(ev, &fired.timer);
}

// A loop watching one end of a socket pair for reading, registered with the kernel.
class WatchedSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    loop_ = EventLoop::Create(&error);
    ASSERT_NE(loop_, nullptr) << error;
    ev_ = static_cast<struct ev_loop*>(loop_->native());
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair_), 0);
    ev_io_init(&watcher_, [](struct ev_loop*, ev_io*, int) {}, pair_[0], EV_READ);
    ev_io_start(ev_, &watcher_);
    ev_run(ev_, EVRUN_NOWAIT);  // libev registers descriptors lazily, on its next round
    ASSERT_TRUE(IsRegistered(loop_->epoll_descriptor(), pair_[0]));
  }
  void TearDown() override {
    if (ev_ != nullptr) ev_io_stop(ev_, &watcher_);
    for (int fd : pair_) {
      if (fd >= 0) close(fd);
    }
  }

  std::unique_ptr<EventLoop> loop_;
  struct ev_loop* ev_ = nullptr;
  int pair_[2] = {-1, -1};
  ev_io watcher_{};
};

// The gateway hands an accepted socket on as a dup(); the original's registration must not
// outlive it, or the new owner's traffic is reported under the old number.
TEST_F(WatchedSocketTest, ForgetDescriptorDropsTheRegistrationOfADupedSocket) {
  loop_->ForgetDescriptor(pair_[0]);
  ev_io_stop(ev_, &watcher_);
  int copy = dup(pair_[0]);
  close(pair_[0]);
  int original = pair_[0];
  pair_[0] = copy;
  ev_run(ev_, EVRUN_NOWAIT);
  EXPECT_FALSE(IsRegistered(loop_->epoll_descriptor(), original))
      << EpollRegistrations(loop_->epoll_descriptor());
}

TEST_F(WatchedSocketTest, ForgetDescriptorLeavesOtherDescriptorsWatched) {
  loop_->ForgetDescriptor(pair_[1]);  // never registered
  loop_->ForgetDescriptor(-1);
  EXPECT_TRUE(IsRegistered(loop_->epoll_descriptor(), pair_[0]));
}

}  // namespace
}  // namespace wsgw
