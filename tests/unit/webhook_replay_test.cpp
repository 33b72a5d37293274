// Replay protection (spec §5): ReplayGuard remembers uuids for a window covering Postal's
// retries, in bounded memory, from many threads; VerifyOptions::max_age checks the envelope
// timestamp after the signature.
#include "unit/webhook_test_support.hpp"

#include <postal/webhook/events.hpp>
#include <postal/webhook/replay.hpp>
#include <postal/webhook/verify.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace webhook_test;
using postal::ErrorCode;
namespace wh = postal::webhook;
using Clock = wh::ReplayGuard::Clock;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const Clock::time_point t0 = Clock::time_point{} + hours(1000);

/// A system_clock time point `offset` seconds after the envelope timestamp `timestamp`.
std::function<std::chrono::system_clock::time_point()> clock_at(double timestamp, double offset) {
  const auto at = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(timestamp + offset)));
  return [at] { return at; };
}

}  // namespace

TEST_CASE("The default replay window covers Postal's 36 minutes of retries") {
  wh::ReplayGuard guard;
  CHECK(guard.options().window >= minutes(40));
  CHECK(guard.options().window == hours(2));
  const std::string uuid = "1b9f8d2e-3c4a-4e5f-8a6b-7c8d9e0f1a2b";
  REQUIRE(guard.check_and_remember(uuid, t0));
  // Postal's retry schedule: +2, +3, +6, +10, +15 minutes after each failure.
  auto at = t0;
  for (int delay : {2, 3, 6, 10, 15}) {
    at += minutes(delay);
    const auto retry = guard.check_and_remember(uuid, at);
    REQUIRE_FALSE(retry);
    CHECK(retry.error().code == ErrorCode::Replay);
    CHECK(retry.error().send_state == postal::SendState::NotSent);
    CHECK(contains(retry.error().message, uuid));
  }
}

TEST_CASE("A uuid seen within the window is rejected, after the window accepted") {
  wh::ReplayGuardOptions options;
  options.window = minutes(10);
  wh::ReplayGuard guard(options);
  REQUIRE(guard.check_and_remember("a", t0));
  CHECK_FALSE(guard.check_and_remember("a", t0 + minutes(9)));
  CHECK(guard.check_and_remember("b", t0 + minutes(9)));
  CHECK(guard.check_and_remember("a", t0 + minutes(10)));
  CHECK_FALSE(guard.check_and_remember("a", t0 + minutes(11)));
  CHECK(guard.contains("a", t0 + minutes(11)));
  CHECK_FALSE(guard.contains("a", t0 + minutes(21)));
}

TEST_CASE("The guard's clock is injectable") {
  auto now = t0;
  wh::ReplayGuardOptions options;
  options.window = seconds(60);
  options.clock = [&now] { return now; };
  wh::ReplayGuard guard(options);
  CHECK(guard.check_and_remember("x"));
  now += seconds(59);
  CHECK_FALSE(guard.check_and_remember("x"));
  now += seconds(2);
  CHECK(guard.check_and_remember("x"));
}

TEST_CASE("forget lets Postal's retry through after a failed handling") {
  wh::ReplayGuard guard;
  REQUIRE(guard.check_and_remember("u", t0));
  guard.forget("u");
  CHECK(guard.check_and_remember("u", t0 + minutes(2)));
  CHECK_FALSE(guard.check_and_remember("u", t0 + minutes(3)));
}

TEST_CASE("An empty uuid is an InvalidArgument error") {
  wh::ReplayGuard guard;
  const auto result = guard.check_and_remember("", t0);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::InvalidArgument);
}

TEST_CASE("Memory is bounded: beyond max_entries the oldest uuids are evicted") {
  wh::ReplayGuardOptions options;
  options.max_entries = 100;
  wh::ReplayGuard guard(options);
  for (int i = 0; i < 1000; ++i)
    REQUIRE(guard.check_and_remember("uuid-" + std::to_string(i), t0 + seconds(i)));
  CHECK(guard.size() == 100);
  // The newest 100 are still remembered; the oldest were evicted (and would be accepted).
  CHECK_FALSE(guard.check_and_remember("uuid-999", t0 + seconds(1000)));
  CHECK_FALSE(guard.check_and_remember("uuid-900", t0 + seconds(1000)));
  CHECK(guard.check_and_remember("uuid-0", t0 + seconds(1000)));
  CHECK(guard.size() == 100);
}

TEST_CASE("Forgotten and expired uuids do not grow the guard") {
  wh::ReplayGuardOptions options;
  options.max_entries = 10;
  options.window = seconds(5);
  wh::ReplayGuard guard(options);
  for (int i = 0; i < 10000; ++i) {
    const std::string uuid = "u" + std::to_string(i % 50);
    (void)guard.check_and_remember(uuid, t0 + seconds(i));
    if (i % 3 == 0) guard.forget(uuid);
  }
  CHECK(guard.size() <= 10);
  guard.clear();
  CHECK(guard.size() == 0);
}

TEST_CASE("ReplayGuard is safe from 8 threads: each uuid is accepted exactly once") {
  wh::ReplayGuardOptions options;
  options.max_entries = 1000000;
  wh::ReplayGuard guard(options);
  constexpr int threads = 8, uuids = 2000;
  std::atomic<int> accepted{0}, replayed{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < uuids; ++i) {
        // Every thread offers every uuid (Postal retries racing each other), in its own order.
        const int n = (i * 7 + t * 131) % uuids;
        if (guard.check_and_remember("uuid-" + std::to_string(n), t0 + seconds(i % 60)))
          ++accepted;
        else
          ++replayed;
        if (i % 97 == 0) (void)guard.size();
      }
    });
  for (auto& thread : pool) thread.join();
  CHECK(accepted == uuids);
  CHECK(replayed == uuids * (threads - 1));
  CHECK(guard.size() == static_cast<std::size_t>(uuids));
}

TEST_CASE("max_age rejects a stale webhook as Replay, after the signature verified") {
  const std::string body = fixture("message_sent.json");  // envelope timestamp 1713456789.123456
  const double ts = 1713456789.123456;
  const auto headers = vector::headers();
  wh::VerifyOptions options;
  options.max_age = minutes(60);
  options.clock = clock_at(ts, 59 * 60);
  CHECK(wh::verify(body, headers, vector::key(), options));
  CHECK(wh::verify_and_parse(body, headers, vector::key(), options));
  options.clock = clock_at(ts, 61 * 60);
  const auto stale = wh::verify(body, headers, vector::key(), options);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == ErrorCode::Replay);
  CHECK(contains(stale.error().message, "too old"));
  const auto parsed = wh::verify_and_parse(body, headers, vector::key(), options);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == ErrorCode::Replay);
  // A bad signature is reported as such, not as Replay.
  const auto tampered = wh::verify(body + " ", headers, vector::key(), options);
  REQUIRE_FALSE(tampered);
  CHECK(tampered.error().code == ErrorCode::Signature);
}

TEST_CASE("max_age rejects a timestamp too far in the future, allowing small skew") {
  const std::string body = fixture("message_sent.json");
  const double ts = 1713456789.123456;
  wh::VerifyOptions options;
  options.max_age = minutes(60);
  options.clock = clock_at(ts, -200);  // receiver clock 200 s behind: within the 300 s skew
  CHECK(wh::verify(body, vector::headers(), vector::key(), options));
  options.clock = clock_at(ts, -400);
  const auto future = wh::verify(body, vector::headers(), vector::key(), options);
  REQUIRE_FALSE(future);
  CHECK(future.error().code == ErrorCode::Replay);
  CHECK(contains(future.error().message, "in the future"));
}

TEST_CASE("Without max_age the timestamp is not checked") {
  wh::VerifyOptions options;
  options.clock = clock_at(0, 0);
  CHECK(wh::verify(fixture("message_sent.json"), vector::headers(), vector::key(), options));
}

TEST_CASE("max_age on a signed body without a numeric timestamp fails closed") {
  const std::string body = R"({"event":"MessageSent","payload":{},"uuid":"u"})";
  wh::VerifyOptions options;
  options.max_age = minutes(60);
  const auto result = wh::verify(body, sign(body), test_public_key(2048), options);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::Decode);
}
