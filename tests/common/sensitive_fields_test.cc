#include "common/crypto/sensitive_fields.h"

#include <memory>
#include <string>

#include "common/crypto/clinical_cipher.h"
#include "common/crypto/crypto_migrations.h"
#include "common/crypto/key_encryption_key.h"
#include "common/crypto/sql_data_key_store.h"
#include "common/db/migrator.h"
#include "common/db/open_database.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tandem/testing/v1/sealing_test.pb.h"
#include "tests/fixtures/temp_dir.h"

namespace tandem::crypto {
namespace {

using google::protobuf::util::MessageDifferencer;
using tandem::testing::v1::SealingTestNested;
using tandem::testing::v1::SealingTestOther;
using tandem::testing::v1::SealingTestRecord;

// Every sensitive string below contains this; it must show up nowhere once sealed.
constexpr char kMarker[] = "SECRET";

SealingTestNested Nested(const std::string& label, const std::string& note) {
  SealingTestNested nested;
  nested.set_label(label);
  nested.set_note(note);
  return nested;
}

// Every field set, sensitive ones with the marker, including elements and map values with nothing sensitive.
SealingTestRecord FullRecord() {
  SealingTestRecord record;
  record.set_id("rec-1");
  record.set_version(3);
  record.set_summary("SECRET summary: panic attacks at work");
  record.add_reflections("SECRET reflection one");
  record.add_reflections("SECRET reflection two");
  (*record.mutable_answers())["SECRET question"] = "SECRET answer";
  (*record.mutable_answers())["plain question"] = "SECRET second answer";
  *record.mutable_detail() = Nested("detail-label", "SECRET detail note");
  *record.add_entries() = Nested("entry-0", "SECRET entry 0");
  *record.add_entries() = Nested("entry-1", "");
  *record.add_entries() = Nested("entry-2", "SECRET entry 2");
  *record.add_entries() = Nested("", "SECRET entry 3");
  (*record.mutable_entries_by_key())["k1"] = Nested("label-1", "SECRET k1");
  (*record.mutable_entries_by_key())["k2"] = Nested("label-2", "");
  (*record.mutable_entries_by_key())["k3"] = Nested("", "SECRET k3");
  record.set_attachment(std::string("\0\xffSECRET bytes", 14));
  record.set_distress_score(7);
  record.add_tags("tag-a");
  record.add_tags("tag-b");
  (*record.mutable_labels())["room"] = "blue";
  *record.mutable_private_detail() = Nested("SECRET label of a sensitive message", "SECRET private");
  record.set_aside("SECRET aside");
  record.set_private_body("SECRET body");
  (*record.mutable_entries_by_rank())[1] = Nested("rank-1", "SECRET rank 1");
  (*record.mutable_entries_by_rank())[2] = Nested("rank-2", "");
  SealingTestRecord* child = record.add_children();
  child->set_id("child-1");
  child->set_summary("SECRET child summary");
  *child->add_entries() = Nested("child-entry", "SECRET child entry");
  return record;
}

// What FullRecord() keeps once its sensitive fields are sealed away.
SealingTestRecord FullRecordRest() {
  SealingTestRecord rest;
  rest.set_id("rec-1");
  rest.set_version(3);
  rest.mutable_detail()->set_label("detail-label");
  rest.add_entries()->set_label("entry-0");
  rest.add_entries()->set_label("entry-1");
  rest.add_entries()->set_label("entry-2");
  rest.add_entries();
  (*rest.mutable_entries_by_key())["k1"].set_label("label-1");
  (*rest.mutable_entries_by_key())["k2"].set_label("label-2");
  (*rest.mutable_entries_by_key())["k3"];
  rest.add_tags("tag-a");
  rest.add_tags("tag-b");
  (*rest.mutable_labels())["room"] = "blue";
  (*rest.mutable_entries_by_rank())[1].set_label("rank-1");
  (*rest.mutable_entries_by_rank())[2].set_label("rank-2");
  SealingTestRecord* child = rest.add_children();
  child->set_id("child-1");
  child->add_entries()->set_label("child-entry");
  return rest;
}

// The rest as a store would give it back: through bytes, so map order and internal state are not carried
// over.
SealingTestRecord Reloaded(const SealingTestRecord& rest) {
  SealingTestRecord reloaded;
  EXPECT_TRUE(reloaded.ParseFromString(rest.SerializeAsString()));
  return reloaded;
}

class SensitiveFieldsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::MakeTempDir("sealing");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    auto db = db::OpenDatabase("sqlite://" + dir_ + "/keys.db");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db::ApplyMigrations(*db_, migrations::crypto()).ok());
    store_ = std::make_unique<SqlDataKeyStore>(*db_);
    auto kek = ParseKeyEncryptionKey(*NewKeyEncryptionKeyHex());
    ASSERT_TRUE(kek.ok()) << kek.status();
    cipher_ = std::make_unique<ClinicalCipher>(KeyRing(*kek), *store_);
  }
  void TearDown() override {
    cipher_.reset();
    store_.reset();
    db_.reset();
    if (!dir_.empty()) testing::RemoveTree(dir_);
  }

  // Seals a copy of `record`, returning the envelope and leaving the rest in `*rest`.
  std::string Seal(const SealingTestRecord& record, SealingTestRecord* rest, const SealBinding& binding) {
    *rest = record;
    auto envelope = SealSensitiveFields(*cipher_, binding, *rest);
    EXPECT_TRUE(envelope.ok()) << envelope.status();
    return envelope.ok() ? *envelope : std::string();
  }
  std::string Seal(const SealingTestRecord& record, SealingTestRecord* rest) {
    return Seal(record, rest, kBinding);
  }

  const SealBinding kBinding{"clinic-1", "note-1", 3};

  std::string dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<SqlDataKeyStore> store_;
  std::unique_ptr<ClinicalCipher> cipher_;
};

TEST_F(SensitiveFieldsTest, RoundTripRestoresTheOriginal) {
  const SealingTestRecord original = FullRecord();
  SealingTestRecord rest;
  std::string envelope = Seal(original, &rest);
  ASSERT_FALSE(envelope.empty());

  SealingTestRecord restored = rest;
  ASSERT_TRUE(OpenSensitiveFields(*cipher_, kBinding, envelope, restored).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(restored, original)) << restored.DebugString();

  SealingTestRecord reloaded = Reloaded(rest);
  ASSERT_TRUE(OpenSensitiveFields(*cipher_, kBinding, envelope, reloaded).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(reloaded, original)) << reloaded.DebugString();
}

TEST_F(SensitiveFieldsTest, AWholeStoredMessageKeepsItsSensitiveFieldsSealed) {
  const SealingTestRecord original = FullRecord();
  auto blob = SealMessage(*cipher_, kBinding, original);
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(blob->find(kMarker), std::string::npos);
  SealingTestRecord restored;
  restored.set_id("stale");
  ASSERT_TRUE(OpenMessage(*cipher_, kBinding, *blob, restored).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(restored, original)) << restored.DebugString();
  // Altered, truncated or moved to another record: refused, and the target is left alone.
  std::string altered = *blob;
  altered.back() ^= 0x01;
  SealingTestRecord untouched;
  untouched.set_id("kept");
  EXPECT_EQ(OpenMessage(*cipher_, kBinding, altered, untouched).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(untouched.id(), "kept");
  EXPECT_EQ(OpenMessage(*cipher_, kBinding, blob->substr(0, 3), untouched).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(OpenMessage(*cipher_, kBinding, blob->substr(0, blob->size() / 2), untouched).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(OpenMessage(*cipher_, SealBinding{"clinic-1", "note-2", 3}, *blob, untouched).code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(SensitiveFieldsTest, SealedMessageHoldsNoSensitiveData) {
  SealingTestRecord rest;
  std::string envelope = Seal(FullRecord(), &rest);
  EXPECT_EQ(rest.SerializeAsString().find(kMarker), std::string::npos);
  EXPECT_EQ(rest.DebugString().find(kMarker), std::string::npos);
  EXPECT_EQ(envelope.find(kMarker), std::string::npos);
  // The number and the presence-only fields leave no trace either.
  EXPECT_EQ(rest.distress_score(), 0);
  EXPECT_FALSE(rest.has_aside());
  EXPECT_FALSE(rest.has_private_detail());
  EXPECT_EQ(rest.body_case(), SealingTestRecord::BODY_NOT_SET);
  // Everything non-sensitive stays, shape included.
  EXPECT_TRUE(MessageDifferencer::Equals(rest, FullRecordRest())) << rest.DebugString();
}

TEST_F(SensitiveFieldsTest, RepeatedMessagesRestoreByIndexInOrder) {
  SealingTestRecord record;
  record.set_id("rec-1");
  *record.add_entries() = Nested("a", "SECRET note a");
  *record.add_entries() = Nested("b", "");
  *record.add_entries() = Nested("c", "SECRET note c");
  *record.add_entries() = Nested("d", "");
  SealingTestRecord rest;
  std::string envelope = Seal(record, &rest);
  ASSERT_EQ(rest.entries_size(), 4);
  for (const SealingTestNested& entry : rest.entries()) EXPECT_TRUE(entry.note().empty());

  // Restore pairs by position, not by content: relabelled elements still get their own notes back, and
  // nothing is appended.
  SealingTestRecord relabelled = Reloaded(rest);
  for (int i = 0; i < relabelled.entries_size(); ++i) {
    relabelled.mutable_entries(i)->set_label(std::to_string(i));
  }
  ASSERT_TRUE(OpenSensitiveFields(*cipher_, kBinding, envelope, relabelled).ok());
  ASSERT_EQ(relabelled.entries_size(), 4);
  const char* notes[] = {"SECRET note a", "", "SECRET note c", ""};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(relabelled.entries(i).label(), std::to_string(i));
    EXPECT_EQ(relabelled.entries(i).note(), notes[i]) << i;
  }
}

TEST_F(SensitiveFieldsTest, OnlyTheLastElementSensitiveStillRestoresInPlace) {
  SealingTestRecord record;
  *record.add_entries() = Nested("a", "");
  *record.add_entries() = Nested("b", "");
  *record.add_entries() = Nested("c", "SECRET only the last");
  SealingTestRecord rest;
  std::string envelope = Seal(record, &rest);
  ASSERT_FALSE(envelope.empty());
  SealingTestRecord restored = Reloaded(rest);
  ASSERT_TRUE(OpenSensitiveFields(*cipher_, kBinding, envelope, restored).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(restored, record)) << restored.DebugString();
}

TEST_F(SensitiveFieldsTest, MapValuesRestoreByKey) {
  SealingTestRecord record;
  for (int i = 0; i < 20; ++i) {
    std::string key = "key-" + std::to_string(i);
    (*record.mutable_entries_by_key())[key] = Nested("label-" + key, i % 3 == 0 ? "" : "SECRET " + key);
    (*record.mutable_entries_by_rank())[i] = Nested("", i % 2 == 0 ? "SECRET rank" + std::to_string(i) : "");
  }
  SealingTestRecord rest;
  std::string envelope = Seal(record, &rest);
  ASSERT_EQ(rest.entries_by_key_size(), 20);
  ASSERT_EQ(rest.entries_by_rank_size(), 20);

  // A key the envelope has nothing for keeps its value as it is.
  SealingTestRecord restored = Reloaded(rest);
  (*restored.mutable_entries_by_key())["extra"] = Nested("extra-label", "");
  ASSERT_TRUE(OpenSensitiveFields(*cipher_, kBinding, envelope, restored).ok());
  ASSERT_EQ(restored.entries_by_key_size(), 21);
  EXPECT_EQ(restored.entries_by_key().at("extra").label(), "extra-label");
  EXPECT_TRUE(restored.entries_by_key().at("extra").note().empty());
  restored.mutable_entries_by_key()->erase("extra");
  EXPECT_TRUE(MessageDifferencer::Equals(restored, record)) << restored.DebugString();
  EXPECT_EQ(restored.entries_by_key().at("key-4").note(), "SECRET key-4");
  EXPECT_EQ(restored.entries_by_rank().at(6).note(), "SECRET rank6");
}

TEST_F(SensitiveFieldsTest, RestoreAddsElementsAndKeysTheRestLacks) {
  SealingTestRecord record;
  *record.add_entries() = Nested("a", "SECRET a");
  (*record.mutable_entries_by_key())["k"] = Nested("label", "SECRET k");
  SealingTestRecord rest;
  std::string envelope = Seal(record, &rest);

  SealingTestRecord bare;
  ASSERT_TRUE(OpenSensitiveFields(*cipher_, kBinding, envelope, bare).ok());
  ASSERT_EQ(bare.entries_size(), 1);
  EXPECT_EQ(bare.entries(0).note(), "SECRET a");
  EXPECT_TRUE(bare.entries(0).label().empty());
  ASSERT_EQ(bare.entries_by_key().count("k"), 1u);
  EXPECT_EQ(bare.entries_by_key().at("k").note(), "SECRET k");
}

TEST_F(SensitiveFieldsTest, SensitiveRepeatedAndMapFieldsMoveWholesale) {
  SealingTestRecord record;
  record.add_reflections("SECRET one");
  record.add_reflections("SECRET two");
  (*record.mutable_answers())["SECRET q"] = "SECRET a";
  SealingTestRecord rest;
  std::string envelope = Seal(record, &rest);
  EXPECT_EQ(rest.reflections_size(), 0);
  EXPECT_EQ(rest.answers_size(), 0);

  // What the envelope holds replaces, not joins, whatever the target holds in a sensitive field.
  SealingTestRecord restored = rest;
  restored.add_reflections("stale");
  (*restored.mutable_answers())["stale"] = "stale";
  ASSERT_TRUE(OpenSensitiveFields(*cipher_, kBinding, envelope, restored).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(restored, record)) << restored.DebugString();
}

TEST_F(SensitiveFieldsTest, ExplicitlySetEmptyOptionalIsSealedAndRestored) {
  SealingTestRecord record;
  record.set_id("rec-1");
  record.set_aside("");
  SealingTestRecord rest;
  std::string envelope = Seal(record, &rest);
  ASSERT_FALSE(envelope.empty());
  EXPECT_FALSE(rest.has_aside());
  ASSERT_TRUE(OpenSensitiveFields(*cipher_, kBinding, envelope, rest).ok());
  EXPECT_TRUE(rest.has_aside());
}

TEST_F(SensitiveFieldsTest, NothingSensitiveSetGivesAnEmptyEnvelope) {
  SealingTestRecord record;
  record.set_id("rec-1");
  record.add_tags("tag");
  record.mutable_detail()->set_label("detail");
  record.add_entries()->set_label("entry");
  (*record.mutable_entries_by_key())["k"].set_label("label");
  record.set_plain_body("plain");
  record.add_children()->set_id("child");
  SealingTestRecord rest;
  EXPECT_EQ(Seal(record, &rest), "");
  EXPECT_TRUE(MessageDifferencer::Equals(rest, record));

  // An empty envelope restores nothing.
  ASSERT_TRUE(OpenSensitiveFields(*cipher_, kBinding, "", rest).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(rest, record));

  // A type with no sensitive field at all.
  SealingTestNested plain = Nested("label", "");
  auto envelope = SealSensitiveFields(*cipher_, kBinding, plain);
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(*envelope, "");
}

TEST_F(SensitiveFieldsTest, AlteredEnvelopeIsDataLossAndRestoresNothing) {
  SealingTestRecord rest;
  std::string envelope = Seal(FullRecord(), &rest);
  for (size_t i : {size_t{0}, size_t{6}, envelope.size() / 2, envelope.size() - 1}) {
    std::string flipped = envelope;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    SealingTestRecord target = rest;
    EXPECT_EQ(OpenSensitiveFields(*cipher_, kBinding, flipped, target).code(), absl::StatusCode::kDataLoss)
        << i;
    EXPECT_TRUE(MessageDifferencer::Equals(target, rest)) << i;
  }
  SealingTestRecord target = rest;
  EXPECT_EQ(OpenSensitiveFields(*cipher_, kBinding, envelope.substr(0, envelope.size() - 1), target).code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(SensitiveFieldsTest, EnvelopeOfAnotherRecordVersionOrClinicIsDataLoss) {
  SealingTestRecord rest;
  std::string envelope = Seal(FullRecord(), &rest);
  // clinic-2 has a data key of its own; clinic-3 has none.
  SealingTestRecord other_clinic_record;
  ASSERT_FALSE(Seal(FullRecord(), &other_clinic_record, SealBinding{"clinic-2", "note-1", 3}).empty());

  for (const SealBinding& wrong : {SealBinding{"clinic-1", "note-2", 3}, SealBinding{"clinic-1", "note-1", 2},
                                   SealBinding{"clinic-1", "note-1", 4}, SealBinding{"clinic-2", "note-1", 3},
                                   SealBinding{"clinic-3", "note-1", 3}}) {
    SealingTestRecord target = rest;
    EXPECT_EQ(OpenSensitiveFields(*cipher_, wrong, envelope, target).code(), absl::StatusCode::kDataLoss)
        << wrong.clinic_id << "/" << wrong.record_id << "@" << wrong.record_version;
    EXPECT_TRUE(MessageDifferencer::Equals(target, rest));
  }
}

TEST_F(SensitiveFieldsTest, EnvelopeOfAnotherMessageTypeIsDataLoss) {
  // SealingTestOther's bytes parse as a SealingTestRecord: only the sealed type name tells them apart.
  SealingTestOther other;
  other.set_id("rec-1");
  other.set_summary("SECRET other summary");
  auto other_envelope = SealSensitiveFields(*cipher_, kBinding, other);
  ASSERT_TRUE(other_envelope.ok()) << other_envelope.status();
  ASSERT_FALSE(other_envelope->empty());
  SealingTestRecord record;
  EXPECT_EQ(OpenSensitiveFields(*cipher_, kBinding, *other_envelope, record).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(MessageDifferencer::Equals(record, SealingTestRecord()));

  SealingTestRecord rest;
  std::string envelope = Seal(FullRecord(), &rest);
  SealingTestOther target;
  EXPECT_EQ(OpenSensitiveFields(*cipher_, kBinding, envelope, target).code(), absl::StatusCode::kDataLoss);
  SealingTestNested nested;
  EXPECT_EQ(OpenSensitiveFields(*cipher_, kBinding, envelope, nested).code(), absl::StatusCode::kDataLoss);
}

TEST_F(SensitiveFieldsTest, FailedSealLeavesTheMessageWhole) {
  const SealingTestRecord original = FullRecord();
  SealingTestRecord record = original;
  auto envelope = SealSensitiveFields(*cipher_, SealBinding{"", "note-1", 1}, record);
  EXPECT_EQ(envelope.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(MessageDifferencer::Equals(record, original));
}

}  // namespace
}  // namespace tandem::crypto
