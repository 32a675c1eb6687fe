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

TEST(ExecuteApiHost, TheApiIdOfAnExecuteApiHostWithOrWithoutAPort) {
  EXPECT_EQ(ExecuteApiIdFromHost("abc123.execute-api.us-east-1.amazonaws.com"), "abc123");
  EXPECT_EQ(ExecuteApiIdFromHost("a1b2c3d4e5.execute-api.eu-west-3.amazonaws.com:443"),
            "a1b2c3d4e5");
  EXPECT_EQ(ExecuteApiIdFromHost("ABC123.Execute-Api.US-EAST-1.amazonaws.com."), "abc123");
}

TEST(ExecuteApiHost, OtherHostsHaveNoApiId) {
  EXPECT_FALSE(ExecuteApiIdFromHost(""));
  EXPECT_FALSE(ExecuteApiIdFromHost("127.0.0.1:3001"));
  EXPECT_FALSE(ExecuteApiIdFromHost("localhost"));
  EXPECT_FALSE(ExecuteApiIdFromHost("dynamodb.us-east-1.amazonaws.com"));
  EXPECT_FALSE(ExecuteApiIdFromHost("execute-api.us-east-1.amazonaws.com"));
  EXPECT_FALSE(ExecuteApiIdFromHost(".execute-api.us-east-1.amazonaws.com"));
  EXPECT_FALSE(ExecuteApiIdFromHost("a.b.execute-api.us-east-1.amazonaws.com"));
  EXPECT_FALSE(ExecuteApiIdFromHost("abc.execute-api..amazonaws.com"));
  EXPECT_FALSE(ExecuteApiIdFromHost("abc.execute-api.us-east-1.amazonaws.com:x"));
  EXPECT_FALSE(ExecuteApiIdFromHost("abc.execute-api.us-east-1.amazonaws.com.evil.example"));
  EXPECT_FALSE(ExecuteApiIdFromHost("abc.execute-api.us-east-1.amazonaws.com.cn"));
  EXPECT_FALSE(ExecuteApiIdFromHost(std::string(300, 'a') + ".execute-api.x.amazonaws.com"));
}

}  // namespace
}  // namespace wsgw
