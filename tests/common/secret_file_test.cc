// Secret files as services find them: written by hand, or mounted by the kubelet from a Kubernetes Secret
// (`name -> ..data/name`, `..data -> ..<timestamp>`, files 0440 owned by the pod's fsGroup).
#include "common/config/secret_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/fixtures/temp_dir.h"

namespace tandem::config {
namespace {

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::MakeTempDir("secret-file");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  // The kubelet's layout for one key of a Secret; returns the path a service is given.
  std::string KubeletMount(const std::string& name, const std::string& content, mode_t mode) {
    const std::string timestamped = "..2026_12_01_10_00_00.123456789";
    mkdir((dir_ + "/" + timestamped).c_str(), 0755);
    const std::string target = dir_ + "/" + timestamped + "/" + name;
    std::ofstream(target) << content;
    EXPECT_EQ(chmod(target.c_str(), mode), 0);
    unlink((dir_ + "/..data").c_str());
    EXPECT_EQ(symlink(timestamped.c_str(), (dir_ + "/..data").c_str()), 0);
    std::string mounted = dir_ + "/" + name;
    unlink(mounted.c_str());
    EXPECT_EQ(symlink(("..data/" + name).c_str(), mounted.c_str()), 0);
    return mounted;
  }

  std::string dir_;
};

TEST_F(SecretFileTest, AKubeletSecretReadableByItsGroupIsAccepted) {
  const std::string path = KubeletMount("kek.hex", "the secret\n", 0440);
  struct stat link_info {};
  ASSERT_EQ(lstat(path.c_str(), &link_info), 0);
  ASSERT_TRUE(S_ISLNK(link_info.st_mode));  // the link itself is 0777: its mode must not matter
  auto text = ReadSecretFile(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "the secret\n");
}

TEST_F(SecretFileTest, AKubeletSecretEveryUserMayReadIsRefusedNamingFileAndMode) {
  const std::string path = KubeletMount("kek.hex", "the secret\n", 0444);
  auto text = ReadSecretFile(path);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(text.status().message().find("the secret"), std::string::npos);
  EXPECT_NE(text.status().message().find(path + " is readable by every user (mode 0444)"), std::string::npos)
      << text.status();
}

TEST_F(SecretFileTest, OwnerOnlyIsAcceptedAndWorldReadableOrWritableIsRefused) {
  const std::string path = dir_ + "/signing-key.pem";
  std::ofstream(path) << "pem";
  for (mode_t mode : {0600, 0400, 0640, 0660}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    EXPECT_TRUE(ReadSecretFile(path).ok()) << std::oct << mode;
  }
  for (mode_t mode : {0644, 0604, 0666, 0602}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    EXPECT_EQ(ReadSecretFile(path).status().code(), absl::StatusCode::kFailedPrecondition)
        << std::oct << mode;
  }
  ASSERT_EQ(chmod(path.c_str(), 0666), 0);
  EXPECT_NE(ReadSecretFile(path).status().message().find("writable by every user (mode 0666)"),
            std::string::npos);
}

TEST_F(SecretFileTest, APublicConfigFileMayBeReadByAllButNotWrittenByAll) {
  const std::string path = KubeletMount("jwks.json", R"({"keys":[]})", 0644);
  EXPECT_TRUE(ReadConfigFile(path).ok());
  const std::string writable = KubeletMount("other.json", "{}", 0666);
  EXPECT_EQ(ReadConfigFile(writable).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SecretFileTest, MissingFilesAndDirectoriesAreRefused) {
  EXPECT_EQ(ReadSecretFile(dir_ + "/missing").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadSecretFile(dir_).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tandem::config
