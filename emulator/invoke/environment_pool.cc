#include "invoke/environment_pool.h"

#include <algorithm>
#include <utility>

namespace wsgw {

EnvironmentPool::EnvironmentPool(size_t environments, size_t max_queued)
    : busy_(std::max<size_t>(environments, 1), false), max_queued_(max_queued) {}

bool EnvironmentPool::Submit(Start start) {
  for (size_t i = 0; i < busy_.size(); ++i) {
    if (busy_[i]) continue;
    busy_[i] = true;
    ++busy_count_;
    peak_busy_ = std::max(peak_busy_, busy_count_);
    start(i);
    return true;
  }
  if (queue_.size() >= max_queued_) return false;
  queue_.push_back(std::move(start));
  return true;
}

void EnvironmentPool::Release(size_t environment) {
  if (environment >= busy_.size() || !busy_[environment]) return;
  if (!queue_.empty()) {
    Start next = std::move(queue_.front());
    queue_.pop_front();
    next(environment);  // stays busy
    return;
  }
  busy_[environment] = false;
  --busy_count_;
}

}  // namespace wsgw
