#include "common/metrics/metrics.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics/admin_http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"

namespace tandem::metrics {
namespace {

using tandem::testing::HttpGet;
using ::testing::HasSubstr;

TEST(Metrics, RendersCountersGaugesAndHistograms) {
  Registry registry;
  auto& requests = registry.AddCounter("tandem_requests_total", "Requests.", {"rpc", "code"});
  requests.WithLabels({"/x.v1.X/Get", "OK"}).Increment();
  requests.WithLabels({"/x.v1.X/Get", "OK"}).Increment(2);
  registry.AddGauge("tandem_queue_depth", "Depth.").WithLabels({}).Set(7);
  auto& latency = registry.AddHistogram("tandem_latency_seconds", "Latency.", {"rpc"}, {0.1, 1});
  latency.WithLabels({"a\"b"}).Observe(0.05);
  latency.WithLabels({"a\"b"}).Observe(0.5);
  latency.WithLabels({"a\"b"}).Observe(5);
  registry.AddCallbackGauge("tandem_pool_size", "Size.", [] { return 4.0; });

  std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE tandem_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("tandem_requests_total{rpc=\"/x.v1.X/Get\",code=\"OK\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("tandem_queue_depth 7\n"));
  EXPECT_THAT(text, HasSubstr("tandem_pool_size 4\n"));
  EXPECT_THAT(text, HasSubstr("tandem_latency_seconds_bucket{rpc=\"a\\\"b\",le=\"0.1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("tandem_latency_seconds_bucket{rpc=\"a\\\"b\",le=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("tandem_latency_seconds_bucket{rpc=\"a\\\"b\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("tandem_latency_seconds_count{rpc=\"a\\\"b\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("tandem_latency_seconds_sum{rpc=\"a\\\"b\"} 5.55\n"));
}

TEST(Metrics, SameNameReturnsSameFamily) {
  Registry registry;
  auto& a = registry.AddCounter("c", "C.");
  auto& b = registry.AddCounter("c", "C.");
  EXPECT_EQ(&a, &b);
}

TEST(Metrics, CountsFromManyThreads) {
  Registry registry;
  auto& counter = registry.AddCounter("c", "C.", {"k"}).WithLabels({"v"});
  auto& histogram = registry.AddHistogram("h", "H.", {}).WithLabels({});
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.Increment();
        histogram.Observe(0.001);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), 80000);
  EXPECT_EQ(histogram.Read().count, 80000u);
}

TEST(AdminHttpServer, ServesMetricsHealthAndReadiness) {
  Registry registry;
  registry.AddCounter("tandem_test_total", "Test.").WithLabels({}).Increment();
  std::atomic<bool> ready{true};
  auto server = AdminHttpServer::Start("127.0.0.1", 0, registry, [&] { return ready.load(); });
  ASSERT_TRUE(server.ok()) << server.status();
  int port = (*server)->port();
  EXPECT_GT(port, 0);
  auto metrics = HttpGet(port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("tandem_test_total 1"));
  EXPECT_EQ(HttpGet(port, "/healthz").status, 200);
  EXPECT_EQ(HttpGet(port, "/readyz").status, 200);
  ready = false;
  EXPECT_EQ(HttpGet(port, "/readyz").status, 503);
  EXPECT_EQ(HttpGet(port, "/nope").status, 404);
  (*server)->Stop();
}

}  // namespace
}  // namespace tandem::metrics
