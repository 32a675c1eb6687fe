#include "invoke/environment_pool.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace wsgw {
namespace {

struct Recorder {
  std::vector<size_t> warmed;
  EnvironmentPool::WarmUp WarmUp() {
    return [this](size_t env) { warmed.push_back(env); };
  }
};

TEST(EnvironmentPool, SequentialTrafficStaysOnOneWarmEnvironment) {
  Recorder rec;
  EnvironmentPool pool(3, 10, rec.WarmUp());
  std::vector<size_t> ran;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.Submit([&](size_t env) { ran.push_back(env); }));
    pool.Release(ran.back());
  }
  EXPECT_EQ(ran, (std::vector<size_t>{0, 0, 0}));
  EXPECT_TRUE(rec.warmed.empty());
  EXPECT_EQ(pool.busy(), 0u);
  EXPECT_EQ(pool.peak_busy(), 1u);
}

TEST(EnvironmentPool, WhenTheWarmOneIsBusyItWarmsAnotherAndWhicheverIsFreeFirstRunsIt) {
  Recorder rec;
  EnvironmentPool pool(2, 10, rec.WarmUp());
  std::vector<std::pair<int, size_t>> ran;
  auto submit = [&](int n) { return pool.Submit([&ran, n](size_t env) { ran.push_back({n, env}); }); };
  ASSERT_TRUE(submit(0));
  ASSERT_TRUE(submit(1));  // queued; environment 1 warms
  EXPECT_EQ(rec.warmed, (std::vector<size_t>{1}));
  EXPECT_EQ(pool.queued(), 1u);
  pool.Release(0);  // the warm one finished first: it takes invocation 1
  ASSERT_EQ(ran.size(), 2u);
  EXPECT_EQ(ran[1], (std::pair<int, size_t>{1, 0}));
  pool.Warmed(1);  // ready, idle
  ASSERT_TRUE(submit(2));  // environment 0 is busy: 1 takes it at once
  EXPECT_EQ(ran.back(), (std::pair<int, size_t>{2, 1}));
  EXPECT_EQ(pool.busy(), 2u);
  EXPECT_EQ(pool.peak_busy(), 2u);
}

TEST(EnvironmentPool, NeverRunsTwoInvocationsOnOneEnvironmentAndQueuesOldestFirst) {
  Recorder rec;
  EnvironmentPool pool(2, 3, rec.WarmUp());
  std::vector<std::pair<int, size_t>> ran;
  for (int n = 0; n < 4; ++n) {
    ASSERT_TRUE(pool.Submit([&ran, n](size_t env) { ran.push_back({n, env}); }));
  }
  ASSERT_EQ(ran.size(), 1u);
  EXPECT_EQ(rec.warmed, (std::vector<size_t>{1}));  // only one cold environment to warm
  pool.Warmed(1);  // the oldest waiting one takes environment 1
  ASSERT_EQ(ran.size(), 2u);
  EXPECT_EQ(ran[1], (std::pair<int, size_t>{1, 1}));
  pool.Release(1);
  EXPECT_EQ(ran[2], (std::pair<int, size_t>{2, 1}));
  pool.Release(0);
  EXPECT_EQ(ran[3], (std::pair<int, size_t>{3, 0}));
  EXPECT_EQ(pool.busy(), 2u);
  pool.Release(0);
  pool.Release(1);
  EXPECT_EQ(pool.busy(), 0u);
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_EQ(pool.peak_busy(), 2u);
}

TEST(EnvironmentPool, WarmsOneEnvironmentPerQueuedInvocationUpToTheLimit) {
  Recorder rec;
  EnvironmentPool pool(4, 10, rec.WarmUp());
  for (int n = 0; n < 6; ++n) ASSERT_TRUE(pool.Submit([](size_t) {}));
  EXPECT_EQ(rec.warmed, (std::vector<size_t>{1, 2, 3}));
  EXPECT_EQ(pool.queued(), 5u);
}

TEST(EnvironmentPool, ThrottlesPastTheQueueBoundWithoutRunningOrKeeping) {
  Recorder rec;
  EnvironmentPool pool(1, 1, rec.WarmUp());
  int started = 0;
  EXPECT_TRUE(pool.Submit([&](size_t) { ++started; }));
  EXPECT_TRUE(pool.Submit([&](size_t) { ++started; }));
  EXPECT_FALSE(pool.Submit([&](size_t) { ++started; }));
  EXPECT_EQ(started, 1);
  EXPECT_EQ(pool.queued(), 1u);
  pool.Release(0);
  EXPECT_EQ(started, 2);
  EXPECT_TRUE(pool.Submit([&](size_t) { ++started; }));  // room again
  EXPECT_EQ(pool.queued(), 1u);
}

TEST(EnvironmentPool, AZeroQueueThrottlesAsSoonAsNoEnvironmentIsIdle) {
  Recorder rec;
  EnvironmentPool pool(2, 0, rec.WarmUp());
  EXPECT_TRUE(pool.Submit([](size_t) {}));
  EXPECT_FALSE(pool.Submit([](size_t) {}));
}

TEST(EnvironmentPool, ReleasingOrWarmingAnIdleOrUnknownEnvironmentChangesNothing) {
  Recorder rec;
  EnvironmentPool pool(2, 5, rec.WarmUp());
  pool.Release(0);
  pool.Release(7);
  pool.Warmed(1);
  pool.Warmed(9);
  EXPECT_EQ(pool.busy(), 0u);
  size_t got = 99;
  EXPECT_TRUE(pool.Submit([&](size_t env) { got = env; }));
  EXPECT_EQ(got, 0u);
  pool.Release(0);
  pool.Release(0);  // twice: still one idle environment, not a negative count
  EXPECT_EQ(pool.busy(), 0u);
}

TEST(EnvironmentPool, ZeroEnvironmentsMeansOne) {
  EnvironmentPool pool(0, 0, nullptr);
  EXPECT_EQ(pool.environments(), 1u);
  EXPECT_TRUE(pool.Submit([](size_t) {}));
}

}  // namespace
}  // namespace wsgw
