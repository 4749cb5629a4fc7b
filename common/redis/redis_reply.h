#ifndef TANDEM_COMMON_REDIS_REDIS_REPLY_H_
#define TANDEM_COMMON_REDIS_REDIS_REPLY_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct redisReply;  // hiredis

namespace tandem::redis {

// One Redis (RESP2) reply, owned: a copy of hiredis's reply tree that outlives the connection it came from.
// Strings are binary safe (they may hold NUL bytes). An error reply is a value here, not a failed call:
// inside a pipeline, one command's error does not fail the others.
class RedisReply {
 public:
  enum class Kind { kNil, kInteger, kString, kStatus, kError, kArray };

  RedisReply() = default;  // nil

  static RedisReply Nil() { return RedisReply(); }
  static RedisReply Integer(int64_t value);
  static RedisReply String(std::string value);
  static RedisReply Status(std::string value);
  static RedisReply Error(std::string message);
  static RedisReply Array(std::vector<RedisReply> elements);

  Kind kind() const { return kind_; }
  bool is_nil() const { return kind_ == Kind::kNil; }
  bool is_integer() const { return kind_ == Kind::kInteger; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_status() const { return kind_ == Kind::kStatus; }
  bool is_error() const { return kind_ == Kind::kError; }
  bool is_array() const { return kind_ == Kind::kArray; }

  // The integer of an integer reply; 0 otherwise.
  int64_t integer() const { return integer_; }
  // The bytes of a string reply, the text of a status reply ("OK") or the message of an error reply; empty
  // otherwise. An error message may quote the command's key or arguments: never log it, log ErrorKind().
  const std::string& str() const { return str_; }
  // The elements of an array reply; empty otherwise.
  const std::vector<RedisReply>& elements() const { return elements_; }

  // For an error reply, its first word when it looks like a Redis error code ("WRONGTYPE", "NOSCRIPT",
  // "ERR"), otherwise "UNKNOWN"; empty for other kinds. Safe to log and to put in a status.
  std::string ErrorKind() const;

  // A short description for test failures and debugging: kind and size, never the contents.
  std::string DebugString() const;

  friend bool operator==(const RedisReply& a, const RedisReply& b) {
    return a.kind_ == b.kind_ && a.integer_ == b.integer_ && a.str_ == b.str_ && a.elements_ == b.elements_;
  }
  friend bool operator!=(const RedisReply& a, const RedisReply& b) { return !(a == b); }

 private:
  Kind kind_ = Kind::kNil;
  int64_t integer_ = 0;
  std::string str_;
  std::vector<RedisReply> elements_;
};

// Name of a kind ("nil", "integer", "string", "status", "error", "array").
absl::string_view KindName(RedisReply::Kind kind);

// Copies a hiredis reply tree into a RedisReply. Pure (no I/O, no global state) and total: any input, however
// malformed (unknown type, null element, null string with a length, nesting deeper than 64) yields an
// INTERNAL status instead of undefined behaviour. A null `reply` is an error too.
absl::StatusOr<RedisReply> ConvertReply(const redisReply* reply);

// Parses RESP bytes (as a server would send them) into replies with hiredis's reader, then ConvertReply.
// INVALID_ARGUMENT on a protocol error or a trailing incomplete reply. Used by tests and fuzzing.
absl::StatusOr<std::vector<RedisReply>> ParseReplies(absl::string_view resp);

}  // namespace tandem::redis

#endif  // TANDEM_COMMON_REDIS_REDIS_REPLY_H_
