// One function's execution environments, as the gateway's invoker sees them (issue 18): each
// environment runs exactly one invocation at a time, as in Lambda. An invocation starts on an
// idle warm environment (the lowest-numbered first, so sequential traffic stays on one warm
// environment and its module state), else waits in a bounded queue, oldest first; past the
// bound it is throttled.
//
// Starting environments: the very first invocation goes straight to environment 0. Later, when
// no warm environment is idle, the invocation is queued and a cold environment is warmed (one
// per queued invocation not yet covered by one warming): whichever comes first, a busy warm
// environment finishing or the cold one becoming ready, takes it. So a short burst stays on the
// warm environment as it did with the host's own pool, and sustained load spreads out.
//
// No I/O, no clock: the caller runs invocations and warm-ups and says when each ended.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <vector>

namespace wsgw {

class EnvironmentPool {
 public:
  // Runs one invocation on `environment` (0 .. environments-1); the caller calls Release(it)
  // once that invocation has ended, whatever its outcome.
  using Start = std::function<void(size_t environment)>;
  // Asks `environment` to get ready without running an invocation; the caller calls
  // Warmed(it) once that has ended, whatever its outcome.
  using WarmUp = std::function<void(size_t environment)>;

  // `environments` >= 1 (0 means 1); `max_queued` >= 0 (0: throttle as soon as every
  // environment is busy).
  EnvironmentPool(size_t environments, size_t max_queued, WarmUp warm_up);

  // Starts `start` now on an idle environment, or queues it. False when the queue holds
  // max_queued invocations: throttled, `start` is dropped unrun.
  bool Submit(Start start);

  // The invocation on `environment` ended: the oldest queued invocation starts there (inside
  // this call), or the environment becomes idle. Releasing one that is not busy does nothing.
  void Release(size_t environment);

  // The warm-up of `environment` ended: as Release.
  void Warmed(size_t environment);

  size_t environments() const { return state_.size(); }
  size_t busy() const { return busy_count_; }
  size_t queued() const { return queue_.size(); }
  size_t max_queued() const { return max_queued_; }
  // The most environments ever busy at once.
  size_t peak_busy() const { return peak_busy_; }

 private:
  enum class State { kCold, kWarming, kIdle, kBusy };
  void RunOn(size_t environment, Start start);
  void BecomeFree(size_t environment);
  void WarmMore();

  std::vector<State> state_;
  size_t busy_count_ = 0;
  size_t peak_busy_ = 0;
  size_t warming_ = 0;
  size_t max_queued_;
  WarmUp warm_up_;
  std::deque<Start> queue_;
};

}  // namespace wsgw
