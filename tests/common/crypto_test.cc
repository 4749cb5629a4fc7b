#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "common/crypto/aes_gcm.h"
#include "common/crypto/clinical_cipher.h"
#include "common/crypto/crypto_migrations.h"
#include "common/crypto/key_encryption_key.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "gtest/gtest.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/test_postgres.h"

namespace tandem::crypto {
namespace {

const std::string kKey(32, 'k');

TEST(AesGcm, RoundTripsAndDetectsTampering) {
  auto sealed = AesGcmSeal(kKey, "session went well", "record-1");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), kGcmNonceBytes + 17 + kGcmTagBytes);
  EXPECT_EQ(*AesGcmOpen(kKey, *sealed, "record-1"), "session went well");

  std::string flipped = *sealed;
  flipped[kGcmNonceBytes + 3] ^= 0x01;
  EXPECT_EQ(AesGcmOpen(kKey, flipped, "record-1").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(AesGcmOpen(kKey, *sealed, "record-2").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(AesGcmOpen(std::string(32, 'j'), *sealed, "record-1").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(AesGcmOpen(kKey, "short", "").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(AesGcmSeal("short-key", "x", "").status().code(), absl::StatusCode::kInvalidArgument);
  // Two seals of the same text differ (fresh nonce).
  EXPECT_NE(*AesGcmSeal(kKey, "same", ""), *AesGcmSeal(kKey, "same", ""));
}

TEST(KeyEncryptionKey, OnlySixtyFourHexDigitsAreAKey) {
  std::string raw(32, '\x07');
  auto from_hex = ParseKeyEncryptionKey(" " + absl::BytesToHexString(raw) + "\n");
  ASSERT_TRUE(from_hex.ok()) << from_hex.status();
  EXPECT_EQ(from_hex->key, raw);
  EXPECT_EQ(ParseKeyEncryptionKey(absl::AsciiStrToUpper(absl::BytesToHexString(raw)))->key, raw);
  // A 32-character passphrase, base64 of 32 bytes, or raw bytes are not keys.
  for (const std::string& refused :
       {std::string("correct horse battery staple!!!!"), absl::Base64Escape(raw), raw,
        absl::BytesToHexString(raw).substr(0, 63), absl::BytesToHexString(raw) + "0",
        absl::BytesToHexString(raw).insert(32, " "), std::string(64, 'g'), std::string("too short")}) {
    auto kek = ParseKeyEncryptionKey(refused);
    EXPECT_EQ(kek.status().code(), absl::StatusCode::kInvalidArgument) << refused;
  }
  EXPECT_EQ(ParseKeyEncryptionKey("correct horse battery staple!!!!").status().message().find("horse"),
            std::string::npos);
  EXPECT_FALSE(LoadKeyEncryptionKeyFile("/nonexistent/kek").ok());
}

TEST(KeyEncryptionKey, TheIdIsAKeyedMacNotAFingerprintOfTheKey) {
  const std::string raw(32, '\x07');
  auto kek = ParseKeyEncryptionKey(absl::BytesToHexString(raw));
  ASSERT_TRUE(kek.ok());
  // Known answer: HMAC-SHA256(key, "tandem kek id v1"), first 16 bytes.
  EXPECT_EQ(kek->id, "kek2-3749b76aeead6978bc611af743a3a027");
  EXPECT_EQ(KekId(raw), kek->id);
  // The id must not be (a prefix of) SHA-256 of the key, which anyone holding a guess can compute.
  EXPECT_NE(kek->id.substr(5, 16), LegacyKekId(raw).substr(4));
  EXPECT_NE(kek->id, LegacyKekId(raw));
  EXPECT_NE(KekId(std::string(32, '\x08')), kek->id);
}

KeyEncryptionKey NewKek() { return *ParseKeyEncryptionKey(*NewKeyEncryptionKeyHex()); }

// The envelope on a real database: SQLite in a temp dir and PostgreSQL from the shared test server.
class ClinicalCipherTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string url;
    if (GetParam() == "sqlite") {
      auto dir = testing::MakeTempDir("crypto");
      ASSERT_TRUE(dir.ok());
      dir_ = *dir;
      url = "sqlite://" + dir_ + "/keys.db";
    } else {
      auto pg = testing::NewTestDatabaseUrl();
      ASSERT_TRUE(pg.ok()) << pg.status();
      url = *pg;
    }
    auto db = db::OpenDatabase(url);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db::ApplyMigrations(*db_, migrations::crypto()).ok());
    store_ = std::make_unique<SqlDataKeyStore>(*db_);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    if (!dir_.empty()) testing::RemoveTree(dir_);
  }

  std::string dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<SqlDataKeyStore> store_;
};

TEST_P(ClinicalCipherTest, RoundTripBindsClinicRecordAndVersion) {
  ClinicalCipher cipher(KeyRing(NewKek()), *store_);
  const std::string text = "Client described intimacy concerns; plan: sensate focus.";
  auto sealed = cipher.Seal("c1", "note-1", 3, text);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->find("intimacy"), std::string::npos);
  EXPECT_EQ(*cipher.Open("c1", "note-1", 3, *sealed), text);

  // Swapped record id, another version, another clinic: none opens.
  EXPECT_EQ(cipher.Open("c1", "note-2", 3, *sealed).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(cipher.Open("c1", "note-1", 2, *sealed).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(cipher.Open("c2", "note-1", 3, *sealed).ok());
  // A flipped byte anywhere after the header.
  for (size_t i : {size_t{6}, sealed->size() / 2, sealed->size() - 1}) {
    std::string flipped = *sealed;
    flipped[i] ^= 0x20;
    EXPECT_EQ(cipher.Open("c1", "note-1", 3, flipped).status().code(), absl::StatusCode::kDataLoss) << i;
  }
  EXPECT_EQ(cipher.Open("c1", "note-1", 3, "").status().code(), absl::StatusCode::kDataLoss);
}

TEST_P(ClinicalCipherTest, EachClinicHasItsOwnDataKey) {
  ClinicalCipher cipher(KeyRing(NewKek()), *store_);
  ASSERT_TRUE(cipher.Seal("c1", "r", 1, "a").ok());
  ASSERT_TRUE(cipher.Seal("c2", "r", 1, "b").ok());
  auto keys = store_->ListAll();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_NE((*keys)[0].wrapped, (*keys)[1].wrapped);
}

TEST_P(ClinicalCipherTest, KekRotationRewrapsKeysWithoutTouchingCiphertext) {
  KeyEncryptionKey old_kek = NewKek();
  KeyEncryptionKey new_kek = NewKek();
  std::string sealed;
  {
    ClinicalCipher cipher(KeyRing(old_kek), *store_);
    sealed = *cipher.Seal("c1", "note-9", 1, "progress noted");
  }
  {
    ClinicalCipher rotating(KeyRing(new_kek, {old_kek}), *store_);
    auto rewrapped = rotating.RewrapAllDataKeys();
    ASSERT_TRUE(rewrapped.ok()) << rewrapped.status();
    EXPECT_EQ(*rewrapped, 1);
    EXPECT_EQ(*rotating.RewrapAllDataKeys(), 0);  // idempotent
  }
  // Only the new KEK is needed now, and the old ciphertext still opens.
  ClinicalCipher after(KeyRing(new_kek), *store_);
  EXPECT_EQ(*after.Open("c1", "note-9", 1, sealed), "progress noted");
  // The old KEK alone no longer unwraps anything.
  ClinicalCipher stale(KeyRing(old_kek), *store_);
  EXPECT_EQ(stale.Open("c1", "note-9", 1, sealed).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(ClinicalCipherTest, DataKeyRotationKeepsOldTextReadable) {
  ClinicalCipher cipher(KeyRing(NewKek()), *store_);
  std::string before = *cipher.Seal("c1", "n", 1, "before");
  ASSERT_TRUE(cipher.RotateDataKey("c1").ok());
  std::string after = *cipher.Seal("c1", "n", 2, "after");
  EXPECT_EQ(before[4], 1);  // data-key version in the header
  EXPECT_EQ(after[4], 2);
  EXPECT_EQ(*cipher.Open("c1", "n", 1, before), "before");
  EXPECT_EQ(*cipher.Open("c1", "n", 2, after), "after");
}

// Rows written before KEK ids were keyed name the KEK by "kek-" + 16 hex digits of SHA-256(key): they still
// open, and are renamed to the new id so the fingerprint leaves the database.
TEST_P(ClinicalCipherTest, LegacyKekIdsAreReadableAndRenamed) {
  KeyEncryptionKey kek = NewKek();
  const std::string legacy = LegacyKekId(kek.key);
  std::string sealed;
  {
    ClinicalCipher cipher(KeyRing(kek), *store_);
    sealed = *cipher.Seal("c1", "note-1", 1, "legacy row");
    ASSERT_TRUE(cipher.RotateDataKey("c2").ok());
  }
  ASSERT_EQ(*store_->RenameKek(kek.id, legacy), 3);  // c1 v1, c2 v1 and v2, as an older release stored them
  {
    ClinicalCipher before_rename(KeyRing(kek), *store_);
    EXPECT_EQ(*before_rename.Open("c1", "note-1", 1, sealed), "legacy row");
  }
  ClinicalCipher cipher(KeyRing(NewKek(), {kek}), *store_);
  auto renamed = cipher.AdoptLegacyKekIds();
  ASSERT_TRUE(renamed.ok()) << renamed.status();
  EXPECT_EQ(*renamed, 3);
  EXPECT_EQ(*cipher.AdoptLegacyKekIds(), 0);  // idempotent
  auto all = store_->ListAll();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  for (const WrappedDataKey& key : *all) {
    EXPECT_EQ(key.kek_id, kek.id);
    EXPECT_NE(key.kek_id, legacy);
  }
  EXPECT_EQ(*cipher.Open("c1", "note-1", 1, sealed), "legacy row");
}

INSTANTIATE_TEST_SUITE_P(Stores, ClinicalCipherTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace tandem::crypto
