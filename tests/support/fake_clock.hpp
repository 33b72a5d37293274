// Test support: a clock that only moves when the client "sleeps" (or a test advances it), so
// retry tests check waits and deadlines without waiting.
//
//   postal_test::FakeClock clock;
//   postal::ClientOptions options{..., clock.retry_options()};
//   ... a call that retries ...
//   CHECK(clock.sleeps() == std::vector<std::chrono::milliseconds>{...});
#pragma once

#include <postal/retry.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace postal_test {

class FakeClock {
 public:
  using Clock = std::chrono::steady_clock;

  /// `jitter`: what the random source returns (in [0, 1)); 0.999 makes each backoff almost its
  /// cap, so waits are predictable.
  explicit FakeClock(double jitter = 0.999) : state_(std::make_shared<State>()) {
    state_->jitter = jitter;
  }

  /// RetryOptions (defaults otherwise) whose now/sleep/random are this clock.
  postal::RetryOptions retry_options() const {
    postal::RetryOptions options;
    auto state = state_;
    options.now = [state] {
      std::lock_guard<std::mutex> lock(state->mutex);
      return state->now;
    };
    options.sleep = [state](std::chrono::milliseconds delay) {
      std::lock_guard<std::mutex> lock(state->mutex);
      state->sleeps.push_back(delay);
      state->now += delay;
    };
    options.random = [state] { return state->jitter; };
    return options;
  }

  /// Moves the clock forward (e.g. from a transport, to stand for time spent on the wire).
  void advance(std::chrono::milliseconds by) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->now += by;
  }

  /// Every wait the client asked for, in order.
  std::vector<std::chrono::milliseconds> sleeps() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->sleeps;
  }

  /// Time passed since the clock was made.
  std::chrono::milliseconds elapsed() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return std::chrono::duration_cast<std::chrono::milliseconds>(state_->now - Clock::time_point{});
  }

 private:
  struct State {
    std::mutex mutex;
    Clock::time_point now{};
    std::vector<std::chrono::milliseconds> sleeps;
    double jitter = 0.999;
  };
  std::shared_ptr<State> state_;
};

}  // namespace postal_test
