// A one-shot timer on the gateway's lws loop. lws hands a timer's callback only the list node
// it scheduled; this keeps the owner and what to call beside it, so that no code casts nodes back
// to the structures around them.
#pragma once

#include <libwebsockets.h>

#include <type_traits>

namespace wsgw {

class LoopTimer {
 public:
  using Fire = void (*)(void* owner);

  LoopTimer(void* owner, Fire fire) : owner_(owner), fire_(fire) {}
  ~LoopTimer() { Cancel(); }
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // Replaces any earlier schedule.
  void Schedule(lws_context* context, lws_usec_t delay_us) {
    context_ = context;
    lws_sul_schedule(context, 0, &sul_, &LoopTimer::OnFire, delay_us);
  }
  void Cancel() {
    if (context_ != nullptr) lws_sul_cancel(&sul_);
  }

 private:
  static void OnFire(lws_sorted_usec_list_t* sul) {
    // sul_ is the first member of a standard-layout class: the node's address is the timer's.
    auto* timer = reinterpret_cast<LoopTimer*>(sul);
    timer->fire_(timer->owner_);
  }

  lws_sorted_usec_list_t sul_{};
  lws_context* context_ = nullptr;
  void* owner_;
  Fire fire_;
};

static_assert(std::is_standard_layout_v<LoopTimer>, "OnFire casts the list node to the timer");

}  // namespace wsgw
