#include "server/client_frame_guard.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace wsgw {
namespace {

// A masked client frame (key 0) with a payload under 126 bytes.
std::string Frame(unsigned char first, const std::string& payload, bool masked = true) {
  std::string out;
  out.push_back(static_cast<char>(first));
  out.push_back(static_cast<char>((masked ? 0x80 : 0) | payload.size()));
  if (masked) out.append(4, '\0');
  return out + payload;
}

class ClientFrameGuardTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_), 0); }
  void TearDown() override {
    close(fds_[0]);
    close(fds_[1]);
  }
  void Send(const std::string& bytes) {
    ASSERT_EQ(write(fds_[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // What recv() (the process's, i.e. the guard's) hands the caller.
  ssize_t Receive(std::string* out) {
    char buffer[4096];
    ssize_t n = recv(fds_[0], buffer, sizeof buffer, 0);
    if (n > 0) out->assign(buffer, static_cast<size_t>(n));
    return n;
  }

  int fds_[2] = {-1, -1};
  std::vector<std::pair<std::string, FrameViolation>> reported_;
  ClientFrameGuard guard_{[this](const std::string& id, const FrameViolation& violation) {
    reported_.emplace_back(id, violation);
  }};
};

TEST_F(ClientFrameGuardTest, HandsOnWellFormedFramesUntouched) {
  guard_.Watch(fds_[0], "conn=", 32768, 131072, "");
  std::string frames = Frame(0x81, "hello") + Frame(0x89, "ping");
  Send(frames);
  std::string got;
  EXPECT_EQ(Receive(&got), static_cast<ssize_t>(frames.size()));
  EXPECT_EQ(got, frames);
  EXPECT_TRUE(reported_.empty());
}

TEST_F(ClientFrameGuardTest, WithholdsTheViolatingFrameAndDropsWhatFollows) {
  guard_.Watch(fds_[0], "conn=", 32768, 131072, "");
  std::string good = Frame(0x81, "ok");
  Send(good + Frame(0x81, "unmasked", false) + Frame(0x81, "later"));
  std::string got;
  EXPECT_EQ(Receive(&got), static_cast<ssize_t>(good.size()));
  EXPECT_EQ(got, good);
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_EQ(reported_[0].first, "conn=");
  EXPECT_EQ(reported_[0].second.code, 1002);
  EXPECT_EQ(reported_[0].second.messagesBefore, 1u);
  // Later bytes are read and dropped: lws sees "nothing yet", never the frames.
  Send(Frame(0x81, "even later"));
  EXPECT_EQ(Receive(&got), -1);
  EXPECT_EQ(errno, EAGAIN);
  char probe;
  EXPECT_EQ(::recvfrom(fds_[0], &probe, 1, MSG_DONTWAIT, nullptr, nullptr), -1) << "not drained";
  // The end of the stream still reaches the reader.
  shutdown(fds_[1], SHUT_WR);
  EXPECT_EQ(Receive(&got), 0);
  EXPECT_EQ(reported_.size(), 1u);
}

TEST_F(ClientFrameGuardTest, CutsEarlyBytesBeforeTheFirstViolation) {
  std::string good = Frame(0x81, "early");
  std::string early = good + Frame(0x83, "reserved opcode");
  EXPECT_EQ(guard_.Watch(fds_[0], "conn=", 32768, 131072, early), good.size());
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_EQ(reported_[0].second.reason, "Unknown opcode");
}

TEST_F(ClientFrameGuardTest, LeavesOtherAndForgottenDescriptorsAlone) {
  std::string bad = Frame(0x81, "unmasked", false);
  Send(bad);
  std::string got;
  EXPECT_EQ(Receive(&got), static_cast<ssize_t>(bad.size())) << "an unwatched descriptor";
  guard_.Watch(fds_[0], "conn=", 32768, 131072, "");
  guard_.Forget(fds_[0]);
  Send(bad);
  EXPECT_EQ(Receive(&got), static_cast<ssize_t>(bad.size())) << "a forgotten descriptor";
  EXPECT_TRUE(reported_.empty());
}

TEST_F(ClientFrameGuardTest, ADescriptorNumberReusedByAnotherSocketPassesUntouched) {
  guard_.Watch(fds_[0], "conn=", 32768, 131072, "");
  // The watched socket is closed without Forget and its number reused by a new socket.
  int other[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, other), 0);
  ASSERT_EQ(dup2(other[0], fds_[0]), fds_[0]);
  close(other[0]);
  std::string bytes = "GET / HTTP/1.1\r\n\r\n";
  ASSERT_EQ(write(other[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  std::string got;
  EXPECT_EQ(Receive(&got), static_cast<ssize_t>(bytes.size()));
  EXPECT_EQ(got, bytes);
  EXPECT_TRUE(reported_.empty());
  close(other[1]);
}

}  // namespace
}  // namespace wsgw
