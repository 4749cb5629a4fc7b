#include "common/redis/redis_reply.h"

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tandem::redis {
namespace {

// Far deeper than any reply this project asks for (hiredis's own reader stops at 7 levels); bounds recursion
// on hand-built or corrupted trees.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxErrorKindLength = 32;

absl::StatusOr<RedisReply> Convert(const redisReply* reply, int depth) {
  if (reply == nullptr) return absl::InternalError("redis reply: null reply");
  if (depth > kMaxDepth) return absl::InternalError("redis reply: nested too deeply");
  auto text = [reply]() -> absl::StatusOr<std::string> {
    if (reply->str == nullptr) {
      if (reply->len != 0) return absl::InternalError("redis reply: null string with a length");
      return std::string();
    }
    return std::string(reply->str, reply->len);
  };
  switch (reply->type) {
    case REDIS_REPLY_NIL:
      return RedisReply::Nil();
    case REDIS_REPLY_INTEGER:
      return RedisReply::Integer(static_cast<int64_t>(reply->integer));
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR: {
      auto value = text();
      if (!value.ok()) return value.status();
      if (reply->type == REDIS_REPLY_STRING) return RedisReply::String(*std::move(value));
      if (reply->type == REDIS_REPLY_STATUS) return RedisReply::Status(*std::move(value));
      return RedisReply::Error(*std::move(value));
    }
    case REDIS_REPLY_ARRAY: {
      if (reply->elements > 0 && reply->element == nullptr) {
        return absl::InternalError("redis reply: array without elements");
      }
      std::vector<RedisReply> elements;
      elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i) {
        auto element = Convert(reply->element[i], depth + 1);
        if (!element.ok()) return element.status();
        elements.push_back(*std::move(element));
      }
      return RedisReply::Array(std::move(elements));
    }
    default:
      return absl::InternalError(absl::StrCat("redis reply: unknown type ", reply->type));
  }
}

struct ReaderDeleter {
  void operator()(redisReader* reader) const { redisReaderFree(reader); }
};
struct ReplyDeleter {
  void operator()(void* reply) const { freeReplyObject(reply); }
};

}  // namespace

RedisReply RedisReply::Integer(int64_t value) {
  RedisReply reply;
  reply.kind_ = Kind::kInteger;
  reply.integer_ = value;
  return reply;
}

RedisReply RedisReply::String(std::string value) {
  RedisReply reply;
  reply.kind_ = Kind::kString;
  reply.str_ = std::move(value);
  return reply;
}

RedisReply RedisReply::Status(std::string value) {
  RedisReply reply;
  reply.kind_ = Kind::kStatus;
  reply.str_ = std::move(value);
  return reply;
}

RedisReply RedisReply::Error(std::string message) {
  RedisReply reply;
  reply.kind_ = Kind::kError;
  reply.str_ = std::move(message);
  return reply;
}

RedisReply RedisReply::Array(std::vector<RedisReply> elements) {
  RedisReply reply;
  reply.kind_ = Kind::kArray;
  reply.elements_ = std::move(elements);
  return reply;
}

std::string RedisReply::ErrorKind() const {
  if (kind_ != Kind::kError) return "";
  absl::string_view word = absl::string_view(str_).substr(0, str_.find(' '));
  // Only something shaped like a Redis error code may leave this object: scripts can put any text first.
  bool shaped = !word.empty() && word.size() <= kMaxErrorKindLength && absl::ascii_isupper(word[0]);
  for (char c : word) {
    shaped = shaped && (absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '_');
  }
  return shaped ? static_cast<std::string>(word) : "UNKNOWN";
}

std::string RedisReply::DebugString() const {
  switch (kind_) {
    case Kind::kNil:
      return "nil";
    case Kind::kInteger:
      return absl::StrCat("integer ", integer_);
    case Kind::kString:
      return absl::StrCat("string (", str_.size(), " bytes)");
    case Kind::kStatus:
      return absl::StrCat("status (", str_.size(), " bytes)");
    case Kind::kError:
      return absl::StrCat("error ", ErrorKind());
    case Kind::kArray:
      return absl::StrCat("array (", elements_.size(), " elements)");
  }
  return "invalid";
}

absl::string_view KindName(RedisReply::Kind kind) {
  switch (kind) {
    case RedisReply::Kind::kNil:
      return "nil";
    case RedisReply::Kind::kInteger:
      return "integer";
    case RedisReply::Kind::kString:
      return "string";
    case RedisReply::Kind::kStatus:
      return "status";
    case RedisReply::Kind::kError:
      return "error";
    case RedisReply::Kind::kArray:
      return "array";
  }
  return "invalid";
}

absl::StatusOr<RedisReply> ConvertReply(const redisReply* reply) { return Convert(reply, 0); }

namespace {

// hiredis 0.14 allocates room for as many elements as an array header claims before reading any of them (1.0
// added a limit, `maxelements`), so "*1444444444" asks for 11 GB. Every element takes at least three bytes
// ("+\r\n"), so a header claiming more than the bytes after it could hold is refused before hiredis reads it.
// Walks the headers as hiredis would; anything malformed is left for hiredis to report.
absl::Status CheckArrayLengths(absl::string_view resp) {
  constexpr size_t kMinElementBytes = 3;
  size_t pos = 0;
  while (pos < resp.size()) {
    const char type = resp[pos];
    const size_t end = resp.find("\r\n", pos + 1);
    if (end == absl::string_view::npos) break;
    int64_t number = 0;
    const bool numeric = absl::SimpleAtoi(resp.substr(pos + 1, end - pos - 1), &number);
    pos = end + 2;
    if (!numeric || number <= 0) continue;
    if (type == '$') {
      if (static_cast<uint64_t>(number) > resp.size() - pos) break;  // incomplete
      pos += static_cast<size_t>(number) + 2;
    } else if (type == '*' && static_cast<uint64_t>(number) > (resp.size() - pos) / kMinElementBytes) {
      return absl::InvalidArgumentError("redis protocol: an array claims more elements than the reply holds");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<RedisReply>> ParseReplies(absl::string_view resp) {
  if (absl::Status lengths = CheckArrayLengths(resp); !lengths.ok()) return lengths;
  std::unique_ptr<redisReader, ReaderDeleter> reader(redisReaderCreate());
  if (reader == nullptr) return absl::ResourceExhaustedError("redis reader: out of memory");
  if (!resp.empty() && redisReaderFeed(reader.get(), resp.data(), resp.size()) != REDIS_OK) {
    return absl::ResourceExhaustedError("redis reader: out of memory");
  }
  std::vector<RedisReply> replies;
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
      return absl::InvalidArgumentError(absl::StrCat("redis protocol error: ", reader->errstr));
    }
    if (raw == nullptr) break;
    std::unique_ptr<void, ReplyDeleter> owned(raw);
    auto converted = ConvertReply(static_cast<const redisReply*>(raw));
    if (!converted.ok()) return converted.status();
    replies.push_back(*std::move(converted));
  }
  // Unread bytes, or a reply begun (a task past the first, or the first with its type read) but not finished.
  // After the last full reply, hiredis leaves one fresh task (type -1) waiting for data: that is not a reply.
  bool incomplete =
      reader->pos < reader->len || reader->ridx > 0 || (reader->ridx == 0 && reader->rstack[0].type >= 0);
  if (incomplete) return absl::InvalidArgumentError("redis protocol: incomplete reply at the end");
  return replies;
}

}  // namespace tandem::redis
