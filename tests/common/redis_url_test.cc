#include "common/redis/redis_url.h"

#include "gtest/gtest.h"

namespace tandem::redis {
namespace {

TEST(RedisUrlTest, HostAndPort) {
  auto options = ParseRedisUrl("redis://127.0.0.1:6390");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "127.0.0.1");
  EXPECT_EQ(options->port, 6390);
  EXPECT_TRUE(options->password.empty());
}

TEST(RedisUrlTest, DefaultPortPasswordAndDatabasePath) {
  auto options = ParseRedisUrl("redis://:s3cret@redis.internal/0");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "redis.internal");
  EXPECT_EQ(options->port, 6379);
  EXPECT_EQ(options->password, "s3cret");
}

TEST(RedisUrlTest, KeepsOtherOptions) {
  RedisPoolOptions base;
  base.pool_size = 3;
  auto options = ParseRedisUrl("redis://h:1", base);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->pool_size, 3);
}

TEST(RedisUrlTest, RefusesWithoutEchoingTheUrl) {
  for (const char* url : {"http://h:1", "redis://:pw@h:99999", "redis://:pw@h:x", "redis://"}) {
    auto options = ParseRedisUrl(url);
    ASSERT_FALSE(options.ok()) << url;
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(options.status().message()).find("pw"), std::string::npos);
  }
}

}  // namespace
}  // namespace tandem::redis
