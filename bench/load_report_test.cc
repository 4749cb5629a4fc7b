#include "bench/load_report.h"

#include <chrono>
#include <string>

#include "bench/call_recorder.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tandem::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(CallRecorderTest, WarmupCallsAreCountedApart) {
  const BenchClock::time_point t0{};
  CallRecorder recorder(t0 + seconds(1));
  recorder.Record(t0, t0 + milliseconds(2), grpc::StatusCode::OK);                            // warmup
  recorder.Record(t0 + seconds(1), t0 + seconds(1) + milliseconds(3), grpc::StatusCode::OK);  // measured
  recorder.Record(t0 + seconds(2), t0 + seconds(2) + milliseconds(7), grpc::StatusCode::DEADLINE_EXCEEDED);
  const CallTally t = recorder.Snapshot();
  EXPECT_EQ(t.warmup_calls, 1);
  EXPECT_EQ(t.ok(), 1);
  EXPECT_EQ(t.errors(), 1);
  EXPECT_EQ(t.latency_ns.count(), 2u);  // errors have a latency too
  EXPECT_EQ(t.latency_ns.max(), 7'000'000u);
  ASSERT_TRUE(t.last_completion.has_value());
  EXPECT_EQ(*t.last_completion, t0 + seconds(2) + milliseconds(7));
}

TEST(CallRecorderTest, ACompletionBeforeItsScheduledStartCountsAsZero) {
  const BenchClock::time_point t0{};
  CallRecorder recorder(t0);
  recorder.Record(t0 + seconds(1), t0, grpc::StatusCode::OK);
  EXPECT_EQ(recorder.Snapshot().latency_ns.max(), 0u);
}

RunOutcome TwoSecondsOfCalls() {
  const BenchClock::time_point t0{};
  CallRecorder recorder(t0);
  for (int i = 0; i < 1000; ++i) {
    const auto start = t0 + milliseconds(2 * i);
    recorder.Record(start, start + milliseconds(1),
                    i % 100 == 0 ? grpc::StatusCode::UNAVAILABLE : grpc::StatusCode::OK,
                    i % 100 == 0 ? "connection refused" : "");
  }
  RunOutcome outcome;
  outcome.tally = recorder.Snapshot();
  outcome.measure_from = t0;
  outcome.measure_until = t0 + seconds(2);
  outcome.max_send_lag = milliseconds(3);
  outcome.request_bytes = 18;
  return outcome;
}

TEST(LoadReportTest, QpsCountsSuccessesOverTheWindow) {
  LoadOptions options;
  options.target = "127.0.0.1:1";
  const LoadReport r = BuildReport(options, TwoSecondsOfCalls());
  EXPECT_DOUBLE_EQ(r.measured_seconds, 2.0);
  EXPECT_EQ(r.ok, 990);
  EXPECT_EQ(r.errors, 10);
  EXPECT_DOUBLE_EQ(r.qps, 495.0);
  ASSERT_EQ(r.errors_by_code.size(), 1u);
  EXPECT_EQ(r.errors_by_code.at("UNAVAILABLE"), 10);
  EXPECT_NEAR(r.p50_us, 1000.0, 1000.0 / 128);
  EXPECT_NEAR(r.p999_us, 1000.0, 1000.0 / 128);
  ASSERT_TRUE(r.max_send_lag_us.has_value());
  EXPECT_DOUBLE_EQ(*r.max_send_lag_us, 3000.0);
}

TEST(LoadReportTest, JsonCarriesEveryFigure) {
  LoadOptions options;
  options.target = "127.0.0.1:1";
  options.mode = LoadMode::kOpen;
  options.rate = 500;
  const auto j = nlohmann::json::parse(FormatJson(BuildReport(options, TwoSecondsOfCalls())));
  EXPECT_EQ(j["mode"], "open");
  EXPECT_EQ(j["rate"], 500.0);
  EXPECT_EQ(j["ok"], 990);
  EXPECT_EQ(j["errors"], 10);
  EXPECT_EQ(j["errors_by_code"]["UNAVAILABLE"], 10);
  for (const char* key : {"p50", "p90", "p99", "p999", "max", "mean"}) {
    EXPECT_TRUE(j["latency_us"].contains(key)) << key;
  }
  EXPECT_EQ(j["max_send_lag_us"], 3000.0);
  EXPECT_EQ(j["method"], "tandem.testing.v1.EchoService/Echo");
  EXPECT_EQ(j["request_bytes"], 18);
  EXPECT_EQ(j["request_templates"], 1);
  EXPECT_EQ(j["first_error_message"]["UNAVAILABLE"], "connection refused");
}

TEST(CallRecorderTest, KeepsTheFirstMessageOfEachErrorCode) {
  const BenchClock::time_point t0{};
  CallRecorder recorder(t0 + seconds(1));
  recorder.Record(t0, t0, grpc::StatusCode::UNAUTHENTICATED, "no token");  // warmup, still kept
  recorder.Record(t0 + seconds(1), t0 + seconds(1), grpc::StatusCode::UNAUTHENTICATED, "expired");
  recorder.Record(t0 + seconds(1), t0 + seconds(1), grpc::StatusCode::OK, "ignored");
  recorder.Record(t0 + seconds(1), t0 + seconds(1), grpc::StatusCode::INTERNAL, std::string(500, 'e'));
  const CallTally t = recorder.Snapshot();
  EXPECT_EQ(t.first_message[grpc::StatusCode::UNAUTHENTICATED], "no token");
  EXPECT_TRUE(t.first_message[grpc::StatusCode::OK].empty());
  EXPECT_EQ(t.first_message[grpc::StatusCode::INTERNAL].size(), CallTally::kMaxMessageBytes);
}

TEST(LoadReportTest, TableNamesTheLoadAndTheErrors) {
  LoadOptions options;
  options.target = "127.0.0.1:1";
  options.channels = 2;
  options.in_flight = 64;
  const std::string table = FormatTable(BuildReport(options, TwoSecondsOfCalls()));
  EXPECT_NE(table.find("closed loop, 2 channel(s) x 64 in flight"), std::string::npos) << table;
  EXPECT_NE(table.find("qps         495.0"), std::string::npos) << table;
  EXPECT_NE(table.find("UNAVAILABLE"), std::string::npos) << table;
  EXPECT_NE(table.find("connection refused"), std::string::npos) << table;
  EXPECT_NE(table.find("tandem.testing.v1.EchoService/Echo, 18-byte request"), std::string::npos) << table;
}

}  // namespace
}  // namespace tandem::bench
