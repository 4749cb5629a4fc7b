#include "bench/load_options.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tandem::bench {
namespace {

LoadOptions Valid() {
  LoadOptions o;
  o.target = "127.0.0.1:5000";
  o.channels = 2;
  o.in_flight = 64;
  return o;
}

TEST(LoadOptionsTest, LoopbackTargetsAreAccepted) {
  for (const char* t : {"127.0.0.1:5000", "127.1.2.3:1", "localhost:65535", "[::1]:8080"}) {
    EXPECT_TRUE(IsLoopbackTarget(t)) << t;
  }
}

TEST(LoadOptionsTest, AnythingElseIsRefused) {
  for (const char* t : {"", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:x", "10.0.0.1:5000",
                        "128.0.0.1:5000", "example.com:443", "[::2]:80", "0.0.0.0:80", "dns:///localhost:80",
                        "localhost.evil:80", "127.0.0.1.nip:80"}) {
    EXPECT_FALSE(IsLoopbackTarget(t)) << t;
  }
}

TEST(LoadOptionsTest, ModesParseByName) {
  EXPECT_EQ(*ParseLoadMode("closed"), LoadMode::kClosed);
  EXPECT_EQ(*ParseLoadMode("open"), LoadMode::kOpen);
  EXPECT_EQ(LoadModeName(LoadMode::kOpen), "open");
  EXPECT_FALSE(ParseLoadMode("burst").ok());
}

TEST(LoadOptionsTest, DefaultsWithATargetAreValid) { EXPECT_TRUE(ValidateLoadOptions(Valid()).ok()); }

TEST(LoadOptionsTest, EveryBoundIsChecked) {
  struct Case {
    const char* name;
    void (*change)(LoadOptions&);
  };
  const Case cases[] = {
      {"remote target", [](LoadOptions& o) { o.target = "192.168.1.1:80"; }},
      {"no channel", [](LoadOptions& o) { o.channels = 0; }},
      {"too many channels", [](LoadOptions& o) { o.channels = 65; }},
      {"nothing in flight", [](LoadOptions& o) { o.in_flight = 0; }},
      {"open without rate", [](LoadOptions& o) { o.mode = LoadMode::kOpen; }},
      {"negative rate", [](LoadOptions& o) { o.mode = LoadMode::kOpen, o.rate = -5; }},
      {"absurd rate", [](LoadOptions& o) { o.mode = LoadMode::kOpen, o.rate = 1e9; }},
      {"zero duration", [](LoadOptions& o) { o.duration = absl::ZeroDuration(); }},
      {"endless duration", [](LoadOptions& o) { o.duration = absl::InfiniteDuration(); }},
      {"negative warmup", [](LoadOptions& o) { o.warmup = absl::Seconds(-1); }},
      {"negative payload", [](LoadOptions& o) { o.payload_bytes = -1; }},
      {"huge payload", [](LoadOptions& o) { o.payload_bytes = 64 << 20; }},
      {"negative requests", [](LoadOptions& o) { o.requests = -1; }},
      {"no timeout", [](LoadOptions& o) { o.rpc_timeout = absl::ZeroDuration(); }},
      {"no outstanding", [](LoadOptions& o) { o.max_outstanding = 0; }},
      {"no method", [](LoadOptions& o) { o.method.clear(); }},
      {"too many templates", [](LoadOptions& o) { o.request_templates.assign(1025, "{}"); }},
      {"huge template", [](LoadOptions& o) { o.request_templates = {std::string((1 << 20) + 1, ' ')}; }},
  };
  for (const Case& c : cases) {
    LoadOptions o = Valid();
    c.change(o);
    EXPECT_EQ(ValidateLoadOptions(o).code(), absl::StatusCode::kInvalidArgument) << c.name;
  }
  LoadOptions open = Valid();
  open.mode = LoadMode::kOpen;
  open.rate = 5000;
  open.in_flight = 0;  // not used by the open loop
  EXPECT_TRUE(ValidateLoadOptions(open).ok());
}

TEST(LoadOptionsTest, TheEchoMethodDefaultsToAPayloadOtherMethodsToTheEmptyRequest) {
  LoadOptions o = Valid();
  o.payload_bytes = 3;
  EXPECT_EQ(EffectiveRequestTemplates(o), std::vector<std::string>{R"({"message":"xxx"})"});
  o.method = "tandem.reminders.v1.ReminderService/ListReminders";
  EXPECT_TRUE(EffectiveRequestTemplates(o).empty());
  o.request_templates = {R"({"clinicId":"c1"})"};
  EXPECT_EQ(EffectiveRequestTemplates(o), o.request_templates);
}

}  // namespace
}  // namespace tandem::bench
