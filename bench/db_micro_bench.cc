// Google Benchmark of common/db functions on every write and every List call: the request hash an
// idempotency key is checked by, and page token encoding and decoding.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/db/idempotency_store.h"
#include "common/db/page_token.h"
#include "tandem/reminders/v1/reminders.pb.h"

namespace tandem::db {
namespace {

// A write request of a realistic size, with a map so deterministic serialization has work to do.
tandem::reminders::v1::ScheduleReminderRequest ScheduleRequest() {
  tandem::reminders::v1::ScheduleReminderRequest request;
  request.set_clinic_id("c1");
  request.set_idempotency_key("0190f3c2-7a1e-7c4d-9b1a-2f1e3d4c5b6a");
  request.set_owner_ref("appointment/0190f3c2-7a1e-7c4d-9b1a-2f1e3d4c5b6a");
  request.set_recipient("client@example.org");
  request.set_template_id("session-reminder");
  request.set_time_zone("Europe/Berlin");
  for (int i = 0; i < 4; ++i) (*request.mutable_params())[absl::StrCat("param", i)] = "value of a parameter";
  return request;
}

void BM_RequestHash(benchmark::State& state) {
  const auto request = ScheduleRequest();
  for (auto _ : state) benchmark::DoNotOptimize(RequestHash(request));
}
BENCHMARK(BM_RequestHash);

PageFilter ListFilter() {
  PageFilter filter;
  filter.Add("clinic_id", "c1").Add("owner_ref", "appointment/42").Add("state", int64_t{2});
  return filter;
}

const std::vector<std::string>& LastKeys() {
  static const auto* const keys =
      new std::vector<std::string>{"2026-11-22T10:00:00Z", "0190f3c2-7a1e-7c4d-9b1a-2f1e3d4c5b6a"};
  return *keys;
}

void BM_EncodePageToken(benchmark::State& state) {
  const PageFilter filter = ListFilter();
  for (auto _ : state) benchmark::DoNotOptimize(EncodePageToken(filter, LastKeys()));
}
BENCHMARK(BM_EncodePageToken);

void BM_DecodePageToken(benchmark::State& state) {
  const PageFilter filter = ListFilter();
  const std::string token = EncodePageToken(filter, LastKeys());
  for (auto _ : state) {
    auto keys = DecodePageToken(token, filter);
    if (!keys.ok()) {
      state.SkipWithError("a token this program encoded did not decode");
      break;
    }
    benchmark::DoNotOptimize(keys);
  }
}
BENCHMARK(BM_DecodePageToken);

// The refusal path: a token carried over to another listing (another clinic).
void BM_DecodePageTokenOtherFilter(benchmark::State& state) {
  const std::string token = EncodePageToken(ListFilter(), LastKeys());
  PageFilter other;
  other.Add("clinic_id", "c2").Add("owner_ref", "appointment/42").Add("state", int64_t{2});
  for (auto _ : state) {
    auto keys = DecodePageToken(token, other);
    if (keys.ok()) {
      state.SkipWithError("a token was accepted for another filter");
      break;
    }
    benchmark::DoNotOptimize(keys);
  }
}
BENCHMARK(BM_DecodePageTokenOtherFilter);

}  // namespace
}  // namespace tandem::db
