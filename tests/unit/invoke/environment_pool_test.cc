#include "invoke/environment_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace wsgw {
namespace {

TEST(EnvironmentPool, StartsOnTheLowestIdleEnvironmentSoSequentialTrafficStaysWarm) {
  EnvironmentPool pool(3, 10);
  std::vector<size_t> ran;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.Submit([&](size_t env) { ran.push_back(env); }));
    pool.Release(ran.back());
  }
  EXPECT_EQ(ran, (std::vector<size_t>{0, 0, 0}));
  EXPECT_EQ(pool.busy(), 0u);
  EXPECT_EQ(pool.peak_busy(), 1u);
}

TEST(EnvironmentPool, NeverRunsTwoInvocationsOnOneEnvironmentAndQueuesOldestFirst) {
  EnvironmentPool pool(2, 2);
  std::vector<std::pair<int, size_t>> ran;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(pool.Submit([&ran, i](size_t env) { ran.push_back({i, env}); }));
  }
  ASSERT_EQ(ran.size(), 2u);
  EXPECT_EQ(ran[0], (std::pair<int, size_t>{0, 0}));
  EXPECT_EQ(ran[1], (std::pair<int, size_t>{1, 1}));
  EXPECT_EQ(pool.busy(), 2u);
  EXPECT_EQ(pool.queued(), 2u);
  pool.Release(1);  // the oldest waiting one takes environment 1
  ASSERT_EQ(ran.size(), 3u);
  EXPECT_EQ(ran[2], (std::pair<int, size_t>{2, 1}));
  EXPECT_EQ(pool.busy(), 2u);
  pool.Release(1);
  ASSERT_EQ(ran.size(), 4u);
  EXPECT_EQ(ran[3], (std::pair<int, size_t>{3, 1}));
  pool.Release(0);
  pool.Release(1);
  EXPECT_EQ(pool.busy(), 0u);
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_EQ(pool.peak_busy(), 2u);
}

TEST(EnvironmentPool, ThrottlesPastTheQueueBoundWithoutRunningOrKeeping) {
  EnvironmentPool pool(1, 1);
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

TEST(EnvironmentPool, AZeroQueueThrottlesAsSoonAsEveryEnvironmentIsBusy) {
  EnvironmentPool pool(2, 0);
  EXPECT_TRUE(pool.Submit([](size_t) {}));
  EXPECT_TRUE(pool.Submit([](size_t) {}));
  EXPECT_FALSE(pool.Submit([](size_t) {}));
}

TEST(EnvironmentPool, ReleasingAnIdleOrUnknownEnvironmentChangesNothing) {
  EnvironmentPool pool(2, 5);
  pool.Release(0);
  pool.Release(7);
  EXPECT_EQ(pool.busy(), 0u);
  size_t got = 99;
  EXPECT_TRUE(pool.Submit([&](size_t env) { got = env; }));
  EXPECT_EQ(got, 0u);
  pool.Release(0);
  pool.Release(0);  // twice: still one idle environment, not a negative count
  EXPECT_EQ(pool.busy(), 0u);
}

TEST(EnvironmentPool, ZeroEnvironmentsMeansOne) {
  EnvironmentPool pool(0, 0);
  EXPECT_EQ(pool.environments(), 1u);
  EXPECT_TRUE(pool.Submit([](size_t) {}));
}

}  // namespace
}  // namespace wsgw
