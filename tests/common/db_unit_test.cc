// Parts of common/db that need no database: placeholder rewriting, PostgreSQL text codecs, the error mapping,
// row getters, the connection pool and the migrator's schema parsing.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/db/advisory_lock.h"
#include "common/db/connection_pool.h"
#include "common/db/db_errors.h"
#include "common/db/migration.h"
#include "common/db/migrator.h"
#include "common/db/placeholders.h"
#include "common/db/postgres_codec.h"
#include "common/db/result_set.h"
#include "common/db/value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sqlite3.h"

namespace tandem::db {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(Placeholders, RewritesOutsideLiteralsIdentifiersAndComments) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"SELECT $1", "SELECT ?1"},
      {"INSERT INTO t VALUES ($1, $2, $10)", "INSERT INTO t VALUES (?1, ?2, ?10)"},
      {"SELECT '$1', $1", "SELECT '$1', ?1"},
      {"SELECT 'it''s $2', $2", "SELECT 'it''s $2', ?2"},
      {"SELECT E'\\' $1', $1", "SELECT E'\\' $1', ?1"},
      {"SELECT \"col$1\" FROM t WHERE a = $1", "SELECT \"col$1\" FROM t WHERE a = ?1"},
      {"SELECT a$1 FROM t", "SELECT a$1 FROM t"},
      {"SELECT $1 -- and $2\n, $3", "SELECT ?1 -- and $2\n, ?3"},
      {"SELECT /* $1 /* nested $2 */ $3 */ $4", "SELECT /* $1 /* nested $2 */ $3 */ ?4"},
      {"SELECT $$ $1 $$, $1", "SELECT $$ $1 $$, ?1"},
      {"SELECT $body$ $1 $body$, $2", "SELECT $body$ $1 $body$, ?2"},
      {"SELECT 1", "SELECT 1"},
      {"", ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RewritePlaceholdersForSqlite(c.in), c.out) << c.in;
  }
}

TEST(Placeholders, CountsTheHighestNumber) {
  EXPECT_EQ(*CountPlaceholders("SELECT 1"), 0);
  EXPECT_EQ(*CountPlaceholders("SELECT $2, $1, $2"), 2);
  EXPECT_EQ(*CountPlaceholders("SELECT '$9', $3"), 3);
  EXPECT_EQ(CountPlaceholders("SELECT $0").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CountPlaceholders("SELECT $99999999999").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PostgresCodec, ParsesTimestamps) {
  const absl::Time base = absl::FromUnixSeconds(1767259800);  // 2026-01-01 09:30:00 UTC
  EXPECT_EQ(*postgres::ParseTimestamp("2026-01-01 09:30:00+00"), base);
  EXPECT_EQ(*postgres::ParseTimestamp("2026-01-01 09:30:00.25+00"), base + absl::Milliseconds(250));
  EXPECT_EQ(*postgres::ParseTimestamp("2026-01-01 09:30:00.000001+00"), base + absl::Microseconds(1));
  EXPECT_EQ(*postgres::ParseTimestamp("2026-01-01 11:00:00+01:30"), base);
  EXPECT_EQ(*postgres::ParseTimestamp("2026-01-01 04:30:00-05"), base);
  EXPECT_EQ(*postgres::ParseTimestamp("2026-01-01 09:30:00"), base);  // timestamp without time zone
  EXPECT_EQ(*postgres::ParseTimestamp("infinity"), absl::InfiniteFuture());
  EXPECT_EQ(*postgres::ParseTimestamp("-infinity"), absl::InfinitePast());
  EXPECT_FALSE(postgres::ParseTimestamp("yesterday").ok());
  EXPECT_FALSE(postgres::ParseTimestamp("2026-01-01 09:30:00+xx").ok());
}

TEST(PostgresCodec, FormatsTimestampsThatParseBack) {
  const absl::Time t = absl::FromUnixMicros(1767259800123456);
  EXPECT_EQ(postgres::FormatTimestamp(t), "2026-01-01 09:30:00.123456+00");
  EXPECT_EQ(*postgres::ParseTimestamp(postgres::FormatTimestamp(t)), t);
  EXPECT_EQ(postgres::FormatTimestamp(absl::InfiniteFuture()), "infinity");
}

TEST(PostgresCodec, DecodesByteaHex) {
  EXPECT_EQ(*postgres::DecodeByteaHex("\\x"), "");
  EXPECT_EQ(*postgres::DecodeByteaHex("\\x00ff41"), std::string("\0\xff"
                                                                "A",
                                                                3));
  EXPECT_FALSE(postgres::DecodeByteaHex("\\x0").ok());
  EXPECT_FALSE(postgres::DecodeByteaHex("\\xzz").ok());
  EXPECT_FALSE(postgres::DecodeByteaHex("00").ok());
}

TEST(PostgresCodec, DecodesByColumnType) {
  EXPECT_EQ(*postgres::DecodeText(postgres::kInt4Oid, "-42"), Value(-42));
  EXPECT_EQ(*postgres::DecodeText(postgres::kInt8Oid, "9223372036854775807"), Value(INT64_MAX));
  EXPECT_EQ(*postgres::DecodeText(postgres::kFloat8Oid, "0.5"), Value(0.5));
  EXPECT_EQ(*postgres::DecodeText(postgres::kNumericOid, "12"), Value(12.0));
  EXPECT_EQ(*postgres::DecodeText(postgres::kBoolOid, "t"), Value(true));
  EXPECT_EQ(*postgres::DecodeText(postgres::kBoolOid, "f"), Value(false));
  EXPECT_EQ(*postgres::DecodeText(postgres::kByteaOid, "\\x0001"), Value(Bytes{std::string("\0\1", 2)}));
  EXPECT_EQ(*postgres::DecodeText(2950 /* uuid */, "0190a3c4-0000-7000-8000-000000000000"),
            Value("0190a3c4-0000-7000-8000-000000000000"));
  EXPECT_FALSE(postgres::DecodeText(postgres::kInt8Oid, "x").ok());
}

TEST(PostgresCodec, EncodesParameters) {
  postgres::EncodedParam p = postgres::EncodeParam(Value(int64_t{-7}));
  EXPECT_EQ(p.type_oid, postgres::kInt8Oid);
  EXPECT_EQ(p.data, "-7");
  EXPECT_FALSE(p.binary);

  p = postgres::EncodeParam(Value(Bytes{std::string("a\0b", 3)}));
  EXPECT_EQ(p.type_oid, postgres::kByteaOid);
  EXPECT_TRUE(p.binary);
  EXPECT_EQ(p.data, std::string("a\0b", 3));

  p = postgres::EncodeParam(Value("text"));
  EXPECT_EQ(p.type_oid, 0u);  // inferred by the server
  EXPECT_EQ(p.data, "text");

  EXPECT_TRUE(postgres::EncodeParam(Value()).is_null);
  EXPECT_EQ(postgres::EncodeParam(Value(true)).data, "t");
  EXPECT_EQ(postgres::EncodeParam(Value(absl::FromUnixSeconds(0))).data, "1970-01-01 00:00:00.000000+00");
  EXPECT_EQ(*postgres::DecodeText(postgres::kFloat8Oid, postgres::EncodeParam(Value(0.1)).data), Value(0.1));
}

TEST(DbErrors, MapsSqlStates) {
  EXPECT_EQ(CodeForSqlState("23505"), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeForSqlState("23P01"), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeForSqlState("23503"), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeForSqlState("23514"), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeForSqlState("40001"), absl::StatusCode::kAborted);
  EXPECT_EQ(CodeForSqlState("40P01"), absl::StatusCode::kAborted);
  EXPECT_EQ(CodeForSqlState("42501"), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CodeForSqlState("08006"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("57P01"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState(""), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("57014"), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(CodeForSqlState("42601"), absl::StatusCode::kInternal);
  EXPECT_EQ(CodeForSqlState("22P02"), absl::StatusCode::kInternal);
}

TEST(DbErrors, MapsSqliteCodes) {
  EXPECT_EQ(CodeForSqliteError(SQLITE_CONSTRAINT_UNIQUE, ""), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeForSqliteError(SQLITE_CONSTRAINT_PRIMARYKEY, ""), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeForSqliteError(SQLITE_CONSTRAINT_FOREIGNKEY, ""), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeForSqliteError(SQLITE_CONSTRAINT_CHECK, ""), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeForSqliteError(SQLITE_CONSTRAINT_TRIGGER, "append-only audit_log"),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CodeForSqliteError(SQLITE_CONSTRAINT_TRIGGER, "something else"), absl::StatusCode::kInternal);
  EXPECT_EQ(CodeForSqliteError(SQLITE_BUSY, ""), absl::StatusCode::kAborted);
  EXPECT_EQ(CodeForSqliteError(SQLITE_BUSY_SNAPSHOT, ""), absl::StatusCode::kAborted);
  EXPECT_EQ(CodeForSqliteError(SQLITE_CANTOPEN, ""), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeForSqliteError(SQLITE_ERROR, "near \"SELEC\": syntax error"), absl::StatusCode::kInternal);
}

TEST(DbErrors, PostgresMessagesNeverCarryData) {
  PostgresErrorFields data_error;
  data_error.sqlstate = "22P02";
  data_error.primary_message = "invalid input syntax for type integer: \"secret\"";
  absl::Status status = PostgresStatus(data_error, "execute");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("22P02"));
  EXPECT_THAT(status.message(), Not(HasSubstr("secret")));

  PostgresErrorFields unique;
  unique.sqlstate = "23505";
  unique.primary_message = "duplicate key value violates unique constraint \"t_email_key\"";
  unique.constraint = "t_email_key";
  status = PostgresStatus(unique, "execute");
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr("t_email_key"));

  PostgresErrorFields statement_error;
  statement_error.sqlstate = "42P01";
  statement_error.primary_message = "relation \"nosuch\" does not exist";
  EXPECT_THAT(PostgresStatus(statement_error, "prepare").message(), HasSubstr("relation \"nosuch\""));
}

TEST(Row, ConvertsBetweenBackendRepresentations) {
  auto columns = std::make_shared<std::vector<std::string>>(
      std::vector<std::string>{"flag", "at", "nothing", "name", "blob"});
  Row row(columns, {Value(1), Value(int64_t{1500000}), Value(), Value("x"), Value(Bytes{"b"})});
  EXPECT_EQ(*row.GetBool(0), true);
  EXPECT_EQ(*row.GetBool("flag"), true);
  EXPECT_EQ(*row.GetTime("at"), absl::FromUnixMicros(1500000));
  EXPECT_EQ(*row.GetInt64(0), 1);
  EXPECT_EQ(*row.GetDouble(0), 1.0);
  EXPECT_EQ(*row.GetText("name"), "x");
  EXPECT_EQ(*row.GetBytes("blob"), "b");
  EXPECT_EQ(*row.GetBytes("name"), "x");
  EXPECT_FALSE(row.GetOptionalText("nothing")->has_value());
  EXPECT_EQ(*row.GetOptionalText("name"), absl::optional<std::string>("x"));

  EXPECT_EQ(row.GetText("nothing").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(row.GetText(0).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(row.GetInt64("name").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(row.GetInt64("missing").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(row.GetInt64(9).status().code(), absl::StatusCode::kInternal);
  // Errors name the column and types, never the value.
  EXPECT_THAT(row.GetInt64("name").status().message(), Not(HasSubstr("\"x\"")));
}

TEST(Value, BuildsFromNaturalTypes) {
  EXPECT_EQ(Value(3).type(), ValueType::kInt64);
  EXPECT_EQ(Value(3u).type(), ValueType::kInt64);
  EXPECT_EQ(Value(true).type(), ValueType::kBool);
  EXPECT_EQ(Value(2.5).type(), ValueType::kDouble);
  EXPECT_EQ(Value("x").type(), ValueType::kText);
  EXPECT_EQ(Value(std::string("x")).type(), ValueType::kText);
  EXPECT_EQ(Value(absl::string_view("x")).type(), ValueType::kText);
  EXPECT_EQ(Value(nullptr).type(), ValueType::kNull);
  EXPECT_EQ(Value(absl::optional<std::string>()).type(), ValueType::kNull);
  EXPECT_EQ(Value(absl::optional<int>(4)), Value(4));
  EXPECT_EQ(Value(Bytes{"x"}).type(), ValueType::kBytes);
  EXPECT_NE(Value(Bytes{"x"}), Value("x"));
  EXPECT_EQ(Value(absl::UnixEpoch()).type(), ValueType::kTime);
}

struct FakeConn {
  int id;
};

TEST(ConnectionPool, IsBoundedReusesAndReplacesDiscarded) {
  int created = 0;
  ConnectionPool<FakeConn> pool(2, [&created]() -> absl::StatusOr<std::unique_ptr<FakeConn>> {
    return std::make_unique<FakeConn>(FakeConn{++created});
  });
  const absl::Status timeout = absl::AbortedError("pool busy");
  auto a = pool.Acquire(absl::Seconds(1), timeout);
  auto b = pool.Acquire(absl::Seconds(1), timeout);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(created, 2);
  auto c = pool.Acquire(absl::Milliseconds(20), timeout);
  EXPECT_EQ(c.status(), timeout);

  const int reused = (*a)->id;
  *a = ConnectionPool<FakeConn>::Lease();  // gives it back
  auto d = pool.Acquire(absl::Seconds(1), timeout);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)->id, reused);
  EXPECT_EQ(created, 2);

  d->Discard();
  *d = ConnectionPool<FakeConn>::Lease();  // closes it, freeing its slot
  auto e = pool.Acquire(absl::Seconds(1), timeout);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->id, 3);
}

TEST(ConnectionPool, FailedConnectFreesTheSlot) {
  bool fail = true;
  ConnectionPool<FakeConn> pool(1, [&fail]() -> absl::StatusOr<std::unique_ptr<FakeConn>> {
    if (fail) return absl::UnavailableError("down");
    return std::make_unique<FakeConn>(FakeConn{1});
  });
  EXPECT_EQ(pool.Acquire(absl::Seconds(1), absl::AbortedError("busy")).status().code(),
            absl::StatusCode::kUnavailable);
  fail = false;
  EXPECT_TRUE(pool.Acquire(absl::Milliseconds(50), absl::AbortedError("busy")).ok());
}

TEST(Migrator, FindsTheTablesAMigrationCreates) {
  std::vector<Migration> migrations = {
      {1, "001_a.sql",
       "-- CREATE TABLE commented_out (x int);\n"
       "CREATE TABLE notes (id BIGSERIAL PRIMARY KEY);\n"
       "create table if not exists public.events (id int);\n"
       "/* CREATE TABLE also_commented (x int) */\n"
       "CREATE UNLOGGED TABLE \"Mixed\" (x int);\n"
       "CREATE SEQUENCE ticket_seq;\n"
       "CREATE INDEX notes_idx ON notes (id);\n"},
      {2, "002_b.sql", "CREATE TABLE notes_archive (id int);\nCREATE TABLE IF NOT EXISTS notes (id int);\n"},
  };
  EXPECT_THAT(TablesCreatedBy(migrations),
              ElementsAre("notes", "public.events", "\"Mixed\"", "notes_archive"));
  EXPECT_THAT(SequencesCreatedBy(migrations), ElementsAre("ticket_seq"));
}

TEST(Migrator, ReadsAppendOnlyDeclarations) {
  std::vector<Migration> migrations = {
      {1, "001_a.sql", "-- tandem:append-only audit_log\nCREATE TABLE audit_log (id int);\n"},
      {2, "002_b.sql", "  --   tandem:append-only   events  \n-- tandem:append-only audit_log\nSELECT 1;\n"},
  };
  EXPECT_THAT(AppendOnlyTablesDeclaredIn(migrations), ElementsAre("audit_log", "events"));
}

TEST(Migrator, LockKeysAreStablePerComponent) {
  EXPECT_NE(MigrationLockKey("audit"), MigrationLockKey("scheduling"));
  // Kept apart from the other advisory locks by a prefix: a per-owner lock named like a component must not
  // block that component's migrations.
  EXPECT_NE(MigrationLockKey("audit"), AdvisoryLockKey("audit"));
  // The key is part of the on-disk protocol between replicas of different builds: it must never change.
  EXPECT_EQ(MigrationLockKey("audit"), int64_t{-7798217230801545039});
}

TEST(MigrationSet, AggregateInitialisesLikeGeneratedCode) {
  static const char kSql[] = "SELECT 1";
  const MigrationSet set{"name", {{1, "001_sqlite.sql", kSql}}, {{1, "001_postgresql.sql", kSql}}};
  // The generated order: SQLite first, then PostgreSQL.
  ASSERT_EQ(set.sqlite.size(), 1U);
  ASSERT_EQ(set.postgresql.size(), 1U);
  EXPECT_STREQ(set.sqlite[0].name, "001_sqlite.sql");
  EXPECT_STREQ(set.postgresql[0].name, "001_postgresql.sql");
  EXPECT_TRUE(set.append_only_tables.empty());
}

}  // namespace
}  // namespace tandem::db
