#include "api/management_path.h"

#include <gtest/gtest.h>

namespace wsgw {
namespace {

TEST(ManagementPath, StagePathWithEncodedIdAsBotocoreSendsIt) {
  std::optional<ManagementTarget> target = ParseManagementPath("/dev/@connections/Df14mfUXIAMCIyg%3D");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->stage.value_or(""), "dev");
  EXPECT_EQ(target->connectionId, "Df14mfUXIAMCIyg=");
}

TEST(ManagementPath, AtSignMayBeEncodedAsTheAwsDocsShow) {
  std::optional<ManagementTarget> target = ParseManagementPath("/prod/%40connections/R0oXAdfD0kwCH6w%3D");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->stage.value_or(""), "prod");
  EXPECT_EQ(target->connectionId, "R0oXAdfD0kwCH6w=");
}

TEST(ManagementPath, PathWithoutStageLikeACustomDomainMapping) {
  std::optional<ManagementTarget> target = ParseManagementPath("/@connections/abc%3D?x=1");
  ASSERT_TRUE(target);
  EXPECT_FALSE(target->stage.has_value());
  EXPECT_EQ(target->connectionId, "abc=");
}

TEST(ManagementPath, MissingIdIsEmptyNotAnError) {
  std::optional<ManagementTarget> target = ParseManagementPath("/dev/@connections/");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->connectionId, "");
}

TEST(ManagementPath, AnAlreadyDecodedPathIsNotDecodedAgain) {
  std::optional<ManagementTarget> target = ParseManagementPath("/dev/@connections/X%41", false);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->connectionId, "X%41");
}

TEST(ManagementPath, OtherPathsAreNotManagementPaths) {
  EXPECT_FALSE(ParseManagementPath("/"));
  EXPECT_FALSE(ParseManagementPath("/dev"));
  EXPECT_FALSE(ParseManagementPath("/dev/connections/abc"));
  EXPECT_FALSE(ParseManagementPath("/a/b/@connections/abc"));
  EXPECT_FALSE(ParseManagementPath("/dev/@connections/abc/extra"));
}

}  // namespace
}  // namespace wsgw
