#include "services/reminders/dispatch/due_index.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/redis/lua_script.h"
#include "common/redis/redis_errors.h"
#include "common/status/status_macros.h"

namespace tandem::reminders {
namespace {

// KEYS[1] due set, KEYS[2] stream; ARGV[1] now in ms, ARGV[2] limit. The ZREM and XADD happen in one
// script, so an id is either still waiting or queued, never both nor neither.
const redis::RedisScript& MoveDueScript() {
  static const redis::RedisScript* const script = new redis::RedisScript(R"lua(
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('XADD', KEYS[2], '*', 'id', id)
  redis.call('ZREM', KEYS[1], id)
end
return ids
)lua");
  return *script;
}

// Scores are whole milliseconds; the database keeps microseconds. A due time rounds up and "now" rounds down,
// so an id is never moved before the database holds it due: moved early, a worker's claim would find it not
// yet due, its entry would be acknowledged, and only the next reconcile would index it again.
std::string DueMillis(absl::Time due) {
  int64_t ms = absl::ToUnixMillis(due);
  if (absl::FromUnixMillis(ms) < due) ++ms;
  return absl::StrCat(ms);
}
std::string NowMillis(absl::Time now) { return absl::StrCat(absl::ToUnixMillis(now)); }

// Entries of an XREADGROUP/XAUTOCLAIM entry list: [[id, [field, value, ...]], ...]. Entries deleted while
// pending come back with a nil field list; they name no reminder and are only acknowledged.
std::vector<DueEntry> ParseEntries(const redis::RedisReply& list) {
  std::vector<DueEntry> out;
  for (const redis::RedisReply& entry : list.elements()) {
    if (entry.elements().size() != 2) continue;
    DueEntry e;
    e.entry_id = entry.elements()[0].str();
    const auto& fields = entry.elements()[1].elements();
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str() == "id") e.reminder_id = fields[i + 1].str();
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

DueIndex::DueIndex(redis::RedisPool& redis, const std::string& prefix)
    : redis_(redis), due_key_(prefix + "due"), stream_key_(prefix + "queue") {}

absl::Status DueIndex::Add(const std::vector<std::pair<std::string, absl::Time>>& reminders) {
  if (reminders.empty()) return absl::OkStatus();
  std::vector<std::string> storage;
  storage.reserve(reminders.size());
  for (const auto& [id, due] : reminders) storage.push_back(DueMillis(due));
  redis::RedisArgv argv = {"ZADD", due_key_};
  argv.reserve(2 + 2 * reminders.size());
  for (size_t i = 0; i < reminders.size(); ++i) {
    argv.push_back(storage[i]);
    argv.push_back(reminders[i].first);
  }
  return redis_.Command(argv).status();
}

absl::StatusOr<std::vector<std::string>> DueIndex::MoveDue(absl::Time now, int limit) {
  std::string now_ms = NowMillis(now);
  std::string limit_text = absl::StrCat(limit);
  ASSIGN_OR_RETURN(redis::RedisReply reply,
                   redis_.EvalSha(MoveDueScript(), {due_key_, stream_key_}, {now_ms, limit_text}));
  std::vector<std::string> moved;
  moved.reserve(reply.elements().size());
  for (const redis::RedisReply& id : reply.elements()) moved.push_back(id.str());
  return moved;
}

absl::Status DueIndex::EnsureGroup() {
  auto created = redis_.Command({"XGROUP", "CREATE", stream_key_, kGroup, "0", "MKSTREAM"});
  if (!created.ok() && redis::ErrorKindOf(created.status()) != "BUSYGROUP") return created.status();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DueEntry>> DueIndex::Read(const std::string& consumer, int count,
                                                     absl::Duration block) {
  std::string count_text = absl::StrCat(count);
  std::string block_text = absl::StrCat(absl::ToInt64Milliseconds(block));
  redis::RedisArgv argv = {"XREADGROUP", "GROUP",    kGroup,    consumer,    "COUNT", count_text,
                           "BLOCK",      block_text, "STREAMS", stream_key_, ">"};
  auto reply = redis_.Command(argv);
  if (!reply.ok() && redis::ErrorKindOf(reply.status()) == "NOGROUP") {
    // Redis restarted empty (or someone deleted the stream): the group is gone with it.
    RETURN_IF_ERROR(EnsureGroup());
    reply = redis_.Command(argv);
  }
  if (!reply.ok()) return reply.status();
  // [[stream, [entries...]]] or nil when BLOCK timed out.
  if (reply->is_nil() || reply->elements().empty()) return std::vector<DueEntry>{};
  const redis::RedisReply& stream = reply->elements()[0];
  if (stream.elements().size() != 2) return std::vector<DueEntry>{};
  return ParseEntries(stream.elements()[1]);
}

absl::StatusOr<std::vector<DueEntry>> DueIndex::Reclaim(const std::string& consumer, absl::Duration min_idle,
                                                        int count) {
  std::string idle_text = absl::StrCat(absl::ToInt64Milliseconds(min_idle));
  std::string count_text = absl::StrCat(count);
  auto reply =
      redis_.Command({"XAUTOCLAIM", stream_key_, kGroup, consumer, idle_text, "0-0", "COUNT", count_text});
  if (!reply.ok() && redis::ErrorKindOf(reply.status()) == "NOGROUP") {
    RETURN_IF_ERROR(EnsureGroup());
    return std::vector<DueEntry>{};  // a new group has nothing pending
  }
  if (!reply.ok()) return reply.status();
  // [next-cursor, [entries...], (Redis 7: [deleted ids])]
  if (reply->elements().size() < 2) return std::vector<DueEntry>{};
  return ParseEntries(reply->elements()[1]);
}

absl::Status DueIndex::Ack(const std::vector<std::string>& entry_ids) {
  if (entry_ids.empty()) return absl::OkStatus();
  redis::RedisArgv ack = {"XACK", stream_key_, kGroup};
  redis::RedisArgv del = {"XDEL", stream_key_};
  for (const std::string& id : entry_ids) {
    ack.push_back(id);
    del.push_back(id);
  }
  ASSIGN_OR_RETURN(std::vector<redis::RedisReply> replies, redis_.Pipeline({ack, del}));
  for (const redis::RedisReply& reply : replies) {
    if (reply.is_error()) return redis::ErrorReplyStatus(reply);
  }
  return absl::OkStatus();
}

absl::StatusOr<DueIndexDepth> DueIndex::Depth() {
  ASSIGN_OR_RETURN(std::vector<redis::RedisReply> replies,
                   redis_.Pipeline({{"ZCARD", due_key_}, {"XLEN", stream_key_}}));
  DueIndexDepth depth;
  if (replies.size() == 2) {
    depth.waiting = replies[0].integer();
    depth.queued = replies[1].integer();
  }
  return depth;
}

}  // namespace tandem::reminders
