#include "common/redis/redis_reply.h"

#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/redis/lua_script.h"
#include "common/redis/redis_errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::redis {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

redisReply Raw(int type) {
  redisReply reply{};
  reply.type = type;
  return reply;
}

TEST(ConvertReplyTest, Scalars) {
  redisReply nil = Raw(REDIS_REPLY_NIL);
  EXPECT_EQ(ConvertReply(&nil).value(), RedisReply::Nil());

  redisReply integer = Raw(REDIS_REPLY_INTEGER);
  integer.integer = -9007199254740993LL;
  auto converted = ConvertReply(&integer);
  ASSERT_TRUE(converted.ok());
  EXPECT_TRUE(converted->is_integer());
  EXPECT_EQ(converted->integer(), -9007199254740993LL);

  char status_text[] = "OK";
  redisReply status = Raw(REDIS_REPLY_STATUS);
  status.str = status_text;
  status.len = 2;
  EXPECT_EQ(ConvertReply(&status).value(), RedisReply::Status("OK"));
}

TEST(ConvertReplyTest, StringsAreBinarySafe) {
  char bytes[] = {'a', '\0', 'b', '\r', '\n', static_cast<char>(0xff)};
  redisReply string = Raw(REDIS_REPLY_STRING);
  string.str = bytes;
  string.len = sizeof(bytes);
  auto converted = ConvertReply(&string);
  ASSERT_TRUE(converted.ok());
  EXPECT_TRUE(converted->is_string());
  EXPECT_EQ(converted->str(), std::string(bytes, sizeof(bytes)));

  redisReply empty = Raw(REDIS_REPLY_STRING);  // null str, zero length
  EXPECT_EQ(ConvertReply(&empty).value(), RedisReply::String(""));
}

TEST(ConvertReplyTest, NestedArrays) {
  redisReply one = Raw(REDIS_REPLY_INTEGER);
  one.integer = 1;
  redisReply nil = Raw(REDIS_REPLY_NIL);
  redisReply* inner_elements[] = {&one, &nil};
  redisReply inner = Raw(REDIS_REPLY_ARRAY);
  inner.elements = 2;
  inner.element = inner_elements;
  char text[] = "x";
  redisReply string = Raw(REDIS_REPLY_STRING);
  string.str = text;
  string.len = 1;
  redisReply* outer_elements[] = {&string, &inner};
  redisReply outer = Raw(REDIS_REPLY_ARRAY);
  outer.elements = 2;
  outer.element = outer_elements;

  auto converted = ConvertReply(&outer);
  ASSERT_TRUE(converted.ok());
  EXPECT_EQ(*converted, RedisReply::Array({RedisReply::String("x"),
                                           RedisReply::Array({RedisReply::Integer(1), RedisReply::Nil()})}));
  EXPECT_EQ(converted->DebugString(), "array (2 elements)");

  redisReply empty = Raw(REDIS_REPLY_ARRAY);
  EXPECT_EQ(ConvertReply(&empty).value(), RedisReply::Array({}));
}

TEST(ConvertReplyTest, MalformedTreesAreErrorsNotCrashes) {
  EXPECT_EQ(ConvertReply(nullptr).status().code(), absl::StatusCode::kInternal);

  redisReply unknown = Raw(42);
  EXPECT_EQ(ConvertReply(&unknown).status().code(), absl::StatusCode::kInternal);

  redisReply null_string = Raw(REDIS_REPLY_STRING);
  null_string.len = 5;
  EXPECT_EQ(ConvertReply(&null_string).status().code(), absl::StatusCode::kInternal);

  redisReply no_elements = Raw(REDIS_REPLY_ARRAY);
  no_elements.elements = 3;
  EXPECT_EQ(ConvertReply(&no_elements).status().code(), absl::StatusCode::kInternal);

  redisReply* null_child[] = {nullptr};
  redisReply with_null_child = Raw(REDIS_REPLY_ARRAY);
  with_null_child.elements = 1;
  with_null_child.element = null_child;
  EXPECT_EQ(ConvertReply(&with_null_child).status().code(), absl::StatusCode::kInternal);

  // A cycle (impossible from hiredis, possible in memory) hits the depth bound.
  redisReply cycle = Raw(REDIS_REPLY_ARRAY);
  redisReply* self[] = {&cycle};
  cycle.elements = 1;
  cycle.element = self;
  EXPECT_EQ(ConvertReply(&cycle).status().code(), absl::StatusCode::kInternal);
}

TEST(ParseRepliesTest, ParsesEveryKind) {
  using std::string_literals::operator""s;
  auto replies = ParseReplies(
      "+OK\r\n:42\r\n$3\r\na\0b\r\n$-1\r\n-WRONGTYPE Operation against a key\r\n*2\r\n:1\r\n*-1\r\n"s);
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_THAT(*replies, ElementsAre(RedisReply::Status("OK"), RedisReply::Integer(42),
                                    RedisReply::String(std::string("a\0b", 3)), RedisReply::Nil(),
                                    RedisReply::Error("WRONGTYPE Operation against a key"),
                                    RedisReply::Array({RedisReply::Integer(1), RedisReply::Nil()})));
}

TEST(ParseRepliesTest, RejectsGarbageAndIncompleteReplies) {
  EXPECT_EQ(ParseReplies("?what\r\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReplies("$5\r\nab").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReplies("*2\r\n:1\r\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseReplies("").value().empty());
}

// hiredis 0.14 would allocate the claimed element count (here 11 GB) before reading any element.
TEST(ParseRepliesTest, RefusesAnArrayClaimingMoreElementsThanTheReplyHolds) {
  auto huge = ParseReplies("*1444444444\r\n:1\r\n");
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(huge.status().message(), HasSubstr("more elements than the reply holds"));
  auto nested = ParseReplies("*1\r\n$3\r\n*99\r\n*2\r\n*1444444444\r\n");
  EXPECT_EQ(nested.status().code(), absl::StatusCode::kInvalidArgument);
  // A bulk string's bytes are not headers, and arrays that fit still parse.
  auto fits = ParseReplies("*2\r\n$5\r\n*9999\r\n+\r\n");
  ASSERT_TRUE(fits.ok()) << fits.status();
  ASSERT_EQ(fits->size(), 1u);
}

TEST(RedisReplyTest, ErrorKindIsOnlyTheCode) {
  EXPECT_EQ(RedisReply::Error("WRONGTYPE Operation against a key holding the wrong kind").ErrorKind(),
            "WRONGTYPE");
  EXPECT_EQ(RedisReply::Error("NOSCRIPT No matching script").ErrorKind(), "NOSCRIPT");
  EXPECT_EQ(RedisReply::Error("ERR").ErrorKind(), "ERR");
  // Text a script might raise is not passed off as a kind.
  EXPECT_EQ(RedisReply::Error("client jane.doe@example.com missed").ErrorKind(), "UNKNOWN");
  EXPECT_EQ(RedisReply::Error("").ErrorKind(), "UNKNOWN");
  EXPECT_EQ(RedisReply::String("ERR x").ErrorKind(), "");
}

TEST(ErrorReplyStatusTest, MapsKindsAndNeverCarriesTheMessage) {
  struct Case {
    const char* message;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {"WRONGTYPE Operation against key secret-key", absl::StatusCode::kFailedPrecondition},
      {"ERR unknown command 'FOO', with args beginning with: 'secret-key'", absl::StatusCode::kInternal},
      {"NOSCRIPT No matching script", absl::StatusCode::kNotFound},
      {"BUSYGROUP Consumer Group name already exists", absl::StatusCode::kAlreadyExists},
      {"NOGROUP No such key 'secret-key'", absl::StatusCode::kNotFound},
      {"LOADING Redis is loading the dataset in memory", absl::StatusCode::kUnavailable},
      {"OOM command not allowed", absl::StatusCode::kResourceExhausted},
      {"WRONGPASS invalid username-password pair", absl::StatusCode::kPermissionDenied},
      {"NOAUTH Authentication required.", absl::StatusCode::kPermissionDenied},
      {"secret-key is bad", absl::StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    absl::Status status = ErrorReplyStatus(RedisReply::Error(c.message));
    EXPECT_EQ(status.code(), c.code) << c.message;
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr("secret-key"))) << c.message;
    EXPECT_EQ(ErrorKindOf(status), RedisReply::Error(c.message).ErrorKind());
  }
  EXPECT_TRUE(ErrorReplyStatus(RedisReply::Status("OK")).ok());
  EXPECT_EQ(ErrorKindOf(absl::UnavailableError("x")), "");
}

TEST(RedisScriptTest, Sha1MatchesRedis) {
  // Known value: SHA-1 of "return 1", as SCRIPT LOAD reports it.
  RedisScript script("return 1");
  EXPECT_EQ(script.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_EQ(script.source(), "return 1");
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

}  // namespace
}  // namespace tandem::redis
