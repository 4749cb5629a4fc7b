#include "common/metrics/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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

int CountLines(const std::string& text, const std::string& prefix) {
  int count = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) count += absl::StartsWith(line, prefix) ? 1 : 0;
  return count;
}

TEST(Metrics, FoldsLabelSetsPastTheCapIntoOneOverflowSeries) {
  Registry registry;
  auto& requests = registry.AddCounter("tandem_requests_total", "Requests.", {"rpc", "code"});
  requests.set_max_label_sets(3);
  for (int i = 0; i < 100; ++i) requests.WithLabels({absl::StrCat("/x/", i), "OK"}).Increment();
  requests.WithLabels({"/x/0", "OK"}).Increment();  // a set made before the cap keeps counting on its own

  std::string text = registry.Render();
  EXPECT_EQ(CountLines(text, "tandem_requests_total{"), 4) << text;
  EXPECT_THAT(text, HasSubstr("tandem_requests_total{rpc=\"/x/0\",code=\"OK\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("tandem_requests_total{rpc=\"_overflow\",code=\"_overflow\"} 97\n"));
  EXPECT_THAT(text, HasSubstr("tandem_metrics_label_overflow_total{metric=\"tandem_requests_total\"} 97\n"));
  EXPECT_EQ(requests.overflowed(), 97u);
}

TEST(Metrics, EveryKindOfFamilyIsCappedByDefault) {
  Registry registry;
  auto& counter = registry.AddCounter("c_total", "C.", {"k"});
  auto& gauge = registry.AddGauge("g", "G.", {"k"});
  auto& histogram = registry.AddHistogram("h_seconds", "H.", {"k"}, {1});
  for (int i = 0; i < 3000; ++i) {
    const std::string value = absl::StrCat("v", i);
    counter.WithLabels({value}).Increment();
    gauge.WithLabels({value}).Set(1);
    histogram.WithLabels({value}).Observe(0.5);
  }
  std::string text = registry.Render();
  // 1,000 label sets and the overflow series.
  EXPECT_EQ(CountLines(text, "c_total{"), 1001);
  EXPECT_EQ(CountLines(text, "g{"), 1001);
  EXPECT_EQ(CountLines(text, "h_seconds_count{"), 1001);
  // StrContains, not HasSubstr: a failure would print thousands of series.
  EXPECT_TRUE(absl::StrContains(text, "c_total{k=\"_overflow\"} 2000\n"));
  EXPECT_TRUE(absl::StrContains(text, "h_seconds_count{k=\"_overflow\"} 2000\n"));
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

// A raw loopback connection to an admin port, for clients that misbehave on purpose.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool Send(absl::string_view bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // Whether the server closed the connection within `timeout` (anything it sent first is read and dropped).
  bool ClosedWithin(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (absl::Time now = absl::Now(); now < deadline; now = absl::Now()) {
      pollfd poll_fd{fd_, POLLIN, 0};
      if (poll(&poll_fd, 1, static_cast<int>(absl::ToInt64Milliseconds(deadline - now))) <= 0) return false;
      char buffer[4096];
      if (recv(fd_, buffer, sizeof(buffer), 0) <= 0) return true;
    }
    return false;
  }
  // The status of the answer to `request`, or 0 when none arrives within `timeout`.
  int Exchange(absl::string_view request, absl::Duration timeout) {
    if (!Send(request)) return 0;
    std::string reply;
    const absl::Time deadline = absl::Now() + timeout;
    for (absl::Time now = absl::Now(); now < deadline; now = absl::Now()) {
      pollfd poll_fd{fd_, POLLIN, 0};
      if (poll(&poll_fd, 1, static_cast<int>(absl::ToInt64Milliseconds(deadline - now))) <= 0) break;
      char buffer[4096];
      ssize_t received = recv(fd_, buffer, sizeof(buffer), 0);
      if (received <= 0) break;
      reply.append(buffer, static_cast<size_t>(received));
    }
    int status = 0;
    if (!absl::StartsWith(reply, "HTTP/1.1 ") || !absl::SimpleAtoi(reply.substr(9, 3), &status)) return 0;
    return status;
  }

 private:
  int fd_;
  bool connected_ = false;
};

constexpr absl::string_view kHealthRequest = "GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n";

// Sends a request a byte every `interval` until the server closes the connection (or `give_up` passes) and
// reports how long the connection stayed open.
class SlowLoris {
 public:
  SlowLoris(int port, absl::Duration interval, absl::Duration give_up)
      : thread_([this, port, interval, give_up] {
          RawConnection connection(port);
          const absl::Time start = absl::Now();
          const std::string request = "GET /healthz HTTP/1.1\r\nX-Padding: " + std::string(64, 'a');
          for (size_t i = 0; connection.connected() && absl::Now() - start < give_up; ++i) {
            if (!connection.Send(request.substr(i % request.size(), 1))) break;
            sent_ = true;
            if (connection.ClosedWithin(interval)) {
              open_for_ = absl::Now() - start;
              closed_ = true;
              return;
            }
          }
          open_for_ = absl::Now() - start;
        }) {}
  ~SlowLoris() { Wait(); }
  SlowLoris(const SlowLoris&) = delete;
  SlowLoris& operator=(const SlowLoris&) = delete;

  void Wait() {
    if (thread_.joinable()) thread_.join();
  }
  bool sent() const { return sent_; }
  bool closed() const { return closed_; }
  absl::Duration open_for() const { return open_for_; }

 private:
  std::atomic<bool> sent_{false};
  bool closed_ = false;
  absl::Duration open_for_;
  std::thread thread_;  // last: starts once the fields it writes exist
};

TEST(AdminHttpServer, SlowClientsNeitherHoldUpProbesNorStayOpen) {
  Registry registry;
  auto server = AdminHttpServer::Start("127.0.0.1", 0, registry, [] { return true; });
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  SlowLoris first(port, absl::Seconds(1), absl::Seconds(10));
  SlowLoris second(port, absl::Seconds(1), absl::Seconds(10));
  while (!first.sent() || !second.sent()) absl::SleepFor(absl::Milliseconds(10));
  absl::SleepFor(absl::Milliseconds(1200));  // both are mid-request, each having sent more than one byte

  for (const char* target : {"/healthz", "/readyz"}) {
    RawConnection probe(port);
    ASSERT_TRUE(probe.connected());
    const absl::Time start = absl::Now();
    EXPECT_EQ(
        probe.Exchange(absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: admin\r\n\r\n"), absl::Seconds(2)),
        200)
        << target;
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(500)) << target;
  }

  // The whole request had 3 s, however steadily its bytes came.
  first.Wait();
  second.Wait();
  for (const SlowLoris* loris : {&first, &second}) {
    EXPECT_TRUE(loris->closed());
    EXPECT_GE(loris->open_for(), absl::Milliseconds(2500));
    EXPECT_LE(loris->open_for(), absl::Milliseconds(4500));
  }
  (*server)->Stop();
}

TEST(AdminHttpServer, ConnectionPastTheCapClosesTheOldest) {
  Registry registry;
  AdminHttpServer::Options options;
  options.request_timeout = std::chrono::seconds(30);
  options.max_connections = 2;
  auto server = AdminHttpServer::Start("127.0.0.1", 0, registry, nullptr, options);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  RawConnection oldest(port), idle(port);
  ASSERT_TRUE(oldest.connected() && idle.connected());
  absl::SleepFor(absl::Milliseconds(100));  // both accepted, in that order

  RawConnection probe(port);
  EXPECT_EQ(probe.Exchange(kHealthRequest, absl::Seconds(2)), 200);
  EXPECT_TRUE(oldest.ClosedWithin(absl::Seconds(1)));
  EXPECT_FALSE(idle.ClosedWithin(absl::Milliseconds(200)));
  (*server)->Stop();
}

TEST(AdminHttpServer, StopClosesOpenConnections) {
  Registry registry;
  auto server = AdminHttpServer::Start("127.0.0.1", 0, registry, nullptr);
  ASSERT_TRUE(server.ok()) << server.status();
  RawConnection idle((*server)->port());
  ASSERT_TRUE(idle.connected());
  absl::SleepFor(absl::Milliseconds(100));
  const absl::Time start = absl::Now();
  (*server)->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_TRUE(idle.ClosedWithin(absl::Seconds(1)));
}

}  // namespace
}  // namespace tandem::metrics
