// tandemctl's key files: exact modes whatever the umask, private directories, and no write through a symlink
// planted where a key or its temporary file goes.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "common/crypto/key_encryption_key.h"
#include "gtest/gtest.h"
#include "tests/fixtures/temp_dir.h"
#include "tools/tandemctl/commands.h"
#include "tools/tandemctl/key_files.h"

namespace tandem::tandemctl {
namespace {

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TandemctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::MakeTempDir("tandemctl");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    old_umask_ = umask(0);  // the most permissive umask: modes must not depend on it
  }
  void TearDown() override {
    umask(old_umask_);
    testing::RemoveTree(dir_);
  }

  std::string dir_;
  mode_t old_umask_ = 0;
};

TEST_F(TandemctlTest, KeysAreOwnerOnlyAndDirectoriesPrivateUnderAPermissiveUmask) {
  const std::string keys = dir_ + "/new/keys";
  ASSERT_TRUE(MakeKeys(keys, "ec", "", false).ok());
  ASSERT_TRUE(MakeServiceKey(keys, "scheduling").ok());
  ASSERT_TRUE(MakeKeyEncryptionKey(dir_ + "/kek-dir/kek.hex").ok());
  EXPECT_EQ(ModeOf(dir_ + "/new"), 0700u);
  EXPECT_EQ(ModeOf(keys), 0700u);
  EXPECT_EQ(ModeOf(keys + "/services"), 0700u);
  EXPECT_EQ(ModeOf(dir_ + "/kek-dir"), 0700u);
  EXPECT_EQ(ModeOf(keys + "/signing-key.pem"), 0600u);
  EXPECT_EQ(ModeOf(keys + "/services/scheduling.pem"), 0600u);
  EXPECT_EQ(ModeOf(dir_ + "/kek-dir/kek.hex"), 0600u);
  EXPECT_EQ(ModeOf(keys + "/jwks.json"), 0644u);  // public keys only
  EXPECT_EQ(ModeOf(keys + "/kid"), 0644u);
}

TEST_F(TandemctlTest, TheKekIsSixtyFourHexDigitsAndNeverOverwritten) {
  const std::string path = dir_ + "/kek.hex";
  ASSERT_TRUE(MakeKeyEncryptionKey(path).ok());
  const std::string text = Read(path);
  EXPECT_EQ(absl::StripAsciiWhitespace(text).size(), 64u);
  EXPECT_TRUE(crypto::ParseKeyEncryptionKey(text).ok());
  EXPECT_EQ(MakeKeyEncryptionKey(path).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Read(path), text);
}

TEST_F(TandemctlTest, ASymlinkPlantedAtTheTemporaryNameIsNotFollowed) {
  const std::string keys = dir_ + "/keys";
  const std::string victim = dir_ + "/victim";
  std::ofstream(victim) << "untouched";
  ASSERT_EQ(mkdir(keys.c_str(), 0700), 0);
  for (const char* name : {"/signing-key.pem.tmp", "/jwks.json.tmp", "/kid.tmp"}) {
    ASSERT_EQ(symlink(victim.c_str(), (keys + name).c_str()), 0);
  }
  ASSERT_TRUE(MakeKeys(keys, "ec", "", false).ok());
  EXPECT_EQ(Read(victim), "untouched");
  EXPECT_EQ(ModeOf(keys + "/signing-key.pem"), 0600u);
}

TEST_F(TandemctlTest, ASymlinkPlantedAtTheKekPathIsNeitherFollowedNorReplaced) {
  const std::string victim = dir_ + "/elsewhere";
  const std::string path = dir_ + "/kek.hex";
  ASSERT_EQ(symlink(victim.c_str(), path.c_str()), 0);  // dangling: nothing exists there yet
  EXPECT_EQ(MakeKeyEncryptionKey(path).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(access(victim.c_str(), F_OK), 0);
  struct stat info {};
  ASSERT_EQ(lstat(path.c_str(), &info), 0);
  EXPECT_TRUE(S_ISLNK(info.st_mode));
}

TEST_F(TandemctlTest, ReplacingAFileReplacesASymlinkAtItsPathInsteadOfWritingThroughIt) {
  const std::string victim = dir_ + "/victim";
  std::ofstream(victim) << "untouched";
  const std::string path = dir_ + "/file";
  ASSERT_EQ(symlink(victim.c_str(), path.c_str()), 0);
  ASSERT_TRUE(WriteFileAtomically(path, "new", 0600).ok());
  EXPECT_EQ(Read(victim), "untouched");
  EXPECT_EQ(Read(path), "new");
  EXPECT_EQ(ModeOf(path), 0600u);
}

TEST_F(TandemctlTest, FailuresAreReported) {
  EXPECT_FALSE(WriteFileAtomically(dir_ + "/missing-dir/file", "x", 0600).ok());
  std::ofstream(dir_ + "/plain") << "x";
  EXPECT_FALSE(MakePrivateDirectories(dir_ + "/plain/sub").ok());
  EXPECT_FALSE(MakeKeys(dir_ + "/plain", "ec", "", false).ok());
}

}  // namespace
}  // namespace tandem::tandemctl
