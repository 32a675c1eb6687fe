#include "server/static_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace wsgw {
namespace {

class StaticFilesTest : public testing::Test {
 protected:
  void SetUp() override {
    base_ = std::filesystem::temp_directory_path() /
            ("wsgw-static-" + std::to_string(getpid()) + "-" +
             testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(base_ / "web" / "counter");
    Write(base_ / "web" / "index.html", "<h1>index</h1>");
    Write(base_ / "web" / "counter" / "index.html", "<h1>counter</h1>");
    Write(base_ / "web" / "app.js", "let x = 1;");
    Write(base_ / "secret.txt", "do not serve");
    root_ = (base_ / "web").string();
  }
  void TearDown() override { std::filesystem::remove_all(base_); }
  static void Write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
  }
  std::filesystem::path base_;
  std::string root_;
};

TEST_F(StaticFilesTest, ServesIndexForTheRootAndForFolders) {
  auto index = LoadStaticFile(root_, "/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->body, "<h1>index</h1>");
  EXPECT_EQ(index->contentType, "text/html; charset=utf-8");
  auto counter = LoadStaticFile(root_, "/counter/");
  ASSERT_TRUE(counter);
  EXPECT_EQ(counter->body, "<h1>counter</h1>");
  auto counter_no_slash = LoadStaticFile(root_, "/counter");
  ASSERT_TRUE(counter_no_slash);
  EXPECT_EQ(counter_no_slash->body, "<h1>counter</h1>");
}

TEST_F(StaticFilesTest, GivesContentTypesByExtension) {
  auto script = LoadStaticFile(root_, "/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->contentType, "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.bin"), "application/octet-stream");
}

TEST_F(StaticFilesTest, RefusesToLeaveTheRoot) {
  EXPECT_FALSE(LoadStaticFile(root_, "/../secret.txt"));
  EXPECT_FALSE(LoadStaticFile(root_, "/%2e%2e/secret.txt"));
  EXPECT_FALSE(LoadStaticFile(root_, "/counter/../../secret.txt"));
  std::filesystem::create_symlink(base_ / "secret.txt", base_ / "web" / "link.txt");
  EXPECT_FALSE(LoadStaticFile(root_, "/link.txt"));
}

TEST_F(StaticFilesTest, MissingFilesAndOddPathsAreNotFound) {
  EXPECT_FALSE(LoadStaticFile(root_, "/nope.html"));
  EXPECT_FALSE(LoadStaticFile(root_, "relative"));
  EXPECT_FALSE(LoadStaticFile(root_, "/a%00b"));
  EXPECT_FALSE(LoadStaticFile("/definitely/not/a/folder", "/"));
}

}  // namespace
}  // namespace wsgw
