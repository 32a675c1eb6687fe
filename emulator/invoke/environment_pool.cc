#include "invoke/environment_pool.h"

#include <algorithm>
#include <utility>

namespace wsgw {

EnvironmentPool::EnvironmentPool(size_t environments, size_t max_queued, WarmUp warm_up)
    : state_(std::max<size_t>(environments, 1), State::kCold),
      max_queued_(max_queued),
      warm_up_(std::move(warm_up)) {}

void EnvironmentPool::RunOn(size_t environment, Start start) {
  state_[environment] = State::kBusy;
  ++busy_count_;
  peak_busy_ = std::max(peak_busy_, busy_count_);
  start(environment);
}

bool EnvironmentPool::Submit(Start start) {
  bool any_warm = false;
  for (size_t i = 0; i < state_.size(); ++i) {
    if (state_[i] == State::kIdle) {
      RunOn(i, std::move(start));
      return true;
    }
    if (state_[i] == State::kBusy) any_warm = true;
  }
  if (!any_warm && warming_ == 0) {
    // Nothing runs and nothing is getting ready: the first cold environment starts with it.
    for (size_t i = 0; i < state_.size(); ++i) {
      if (state_[i] == State::kCold) {
        RunOn(i, std::move(start));
        return true;
      }
    }
  }
  if (queue_.size() >= max_queued_) return false;
  queue_.push_back(std::move(start));
  WarmMore();
  return true;
}

void EnvironmentPool::WarmMore() {
  for (size_t i = 0; i < state_.size() && warming_ < queue_.size(); ++i) {
    if (state_[i] != State::kCold) continue;
    state_[i] = State::kWarming;
    ++warming_;
    if (warm_up_) {
      warm_up_(i);
    } else {
      Warmed(i);
    }
  }
}

void EnvironmentPool::BecomeFree(size_t environment) {
  if (!queue_.empty()) {
    Start next = std::move(queue_.front());
    queue_.pop_front();
    RunOn(environment, std::move(next));
    return;
  }
  state_[environment] = State::kIdle;
}

void EnvironmentPool::Release(size_t environment) {
  if (environment >= state_.size() || state_[environment] != State::kBusy) return;
  --busy_count_;
  BecomeFree(environment);
}

void EnvironmentPool::Warmed(size_t environment) {
  if (environment >= state_.size() || state_[environment] != State::kWarming) return;
  --warming_;
  BecomeFree(environment);
}

}  // namespace wsgw
