// One function's execution environments, as the gateway's invoker sees them (issue 18): each
// environment runs exactly one invocation at a time, as in Lambda. An invocation starts on an
// idle environment (the lowest-numbered first, so sequential traffic stays on one warm
// environment), else waits in a bounded queue, oldest first; past the bound it is throttled.
// Which environment exists is the host's business: the first invocation sent to one starts it.
//
// No I/O, no clock: the caller runs the invocation and says when it ended. Not thread-safe.
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

  // `environments` >= 1; `max_queued` >= 0 (0: throttle as soon as every environment is busy).
  EnvironmentPool(size_t environments, size_t max_queued);

  // Starts `start` now on an idle environment, or queues it. False when every environment is
  // busy and the queue holds max_queued invocations: throttled, `start` is dropped unrun.
  bool Submit(Start start);

  // The invocation on `environment` ended: the oldest queued invocation starts there (inside
  // this call), or the environment becomes idle. Releasing an idle one does nothing.
  void Release(size_t environment);

  size_t environments() const { return busy_.size(); }
  size_t busy() const { return busy_count_; }
  size_t queued() const { return queue_.size(); }
  size_t max_queued() const { return max_queued_; }
  // The most environments ever busy at once.
  size_t peak_busy() const { return peak_busy_; }

 private:
  std::vector<bool> busy_;
  size_t busy_count_ = 0;
  size_t peak_busy_ = 0;
  size_t max_queued_;
  std::deque<Start> queue_;
};

}  // namespace wsgw
