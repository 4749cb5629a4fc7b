#include "common/db/placeholders.h"

#include <cctype>
#include <cstddef>
#include <functional>

#include "absl/status/status.h"

namespace tandem::db {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

// Walks `sql`, calling on_placeholder(start, end, number) for each `$n` outside literals, quoted identifiers,
// dollar quotes and comments. `number` is -1 when the digits do not fit.
void Scan(absl::string_view sql, const std::function<void(size_t, size_t, long)>& on_placeholder) {
  const size_t n = sql.size();
  size_t i = 0;
  while (i < n) {
    const char c = sql[i];
    if (c == '\'') {
      // A string literal; '' is an escaped quote. E'...' also allows backslash escapes.
      const bool backslash_escapes =
          i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !IsIdentChar(sql[i - 2]));
      ++i;
      while (i < n) {
        if (backslash_escapes && sql[i] == '\\' && i + 1 < n) {
          i += 2;
        } else if (sql[i] == '\'') {
          if (i + 1 < n && sql[i + 1] == '\'') {
            i += 2;
          } else {
            ++i;
            break;
          }
        } else {
          ++i;
        }
      }
    } else if (c == '"') {
      ++i;
      while (i < n) {
        if (sql[i] == '"') {
          if (i + 1 < n && sql[i + 1] == '"') {
            i += 2;
          } else {
            ++i;
            break;
          }
        } else {
          ++i;
        }
      }
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      // PostgreSQL block comments nest.
      int depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] == '/' && i + 1 < n && sql[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (sql[i] == '*' && i + 1 < n && sql[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
    } else if (c == '$') {
      if (i > 0 && IsIdentChar(sql[i - 1])) {
        ++i;  // `$` inside an identifier such as a$1 is part of it.
      } else if (i + 1 < n && IsDigit(sql[i + 1])) {
        size_t end = i + 1;
        long number = 0;
        while (end < n && IsDigit(sql[end])) {
          if (number >= 0) number = number > 100000 ? -1 : number * 10 + (sql[end] - '0');
          ++end;
        }
        on_placeholder(i, end, number);
        i = end;
      } else {
        // Possibly a dollar quote: $$ or $tag$.
        size_t end = i + 1;
        if (end < n && IsIdentStart(sql[end])) {
          while (end < n && IsIdentChar(sql[end])) ++end;
        }
        if (end < n && sql[end] == '$') {
          absl::string_view tag = sql.substr(i, end - i + 1);
          size_t close = sql.find(tag, end + 1);
          i = close == absl::string_view::npos ? n : close + tag.size();
        } else {
          ++i;
        }
      }
    } else {
      ++i;
    }
  }
}

}  // namespace

absl::StatusOr<int> CountPlaceholders(absl::string_view sql) {
  long max = 0;
  bool bad = false;
  Scan(sql, [&](size_t, size_t, long number) {
    if (number <= 0 || number > 65535) {
      bad = true;
    } else if (number > max) {
      max = number;
    }
  });
  if (bad) return absl::InvalidArgumentError("placeholders are numbered $1 to $65535");
  return static_cast<int>(max);
}

std::string RewritePlaceholdersForSqlite(absl::string_view sql) {
  std::string out(sql);
  Scan(sql, [&](size_t start, size_t, long) { out[start] = '?'; });
  return out;
}

}  // namespace tandem::db
