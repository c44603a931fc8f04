#include "interfaces/http/access_log.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "interfaces/http/digest.hpp"

namespace boxoffice::http {
namespace {

TEST(AccessLogTest, OneEscapedJsonObject) {
  const auto ts = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795608000123));
  const auto line = FormatAccessLine({.ts = ts,
                                      .request_id = "abc",
                                      .method = "GET",
                                      .path = "/a\"b\n",
                                      .route = "unmatched",
                                      .status = 404,
                                      .duration_ms = 1.23456});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto json = boost::json::parse(line).as_object();
  EXPECT_EQ(json.at("ts").as_string(), "2026-11-25T12:00:00.123Z");
  EXPECT_EQ(json.at("level").as_string(), "info");
  EXPECT_EQ(json.at("msg").as_string(), "request");
  EXPECT_EQ(json.at("request_id").as_string(), "abc");
  EXPECT_EQ(json.at("path").as_string(), "/a\"b\n");
  EXPECT_EQ(json.at("route").as_string(), "unmatched");
  EXPECT_EQ(json.at("status").as_int64(), 404);
  EXPECT_DOUBLE_EQ(json.at("duration_ms").as_double(), 1.234);
}

TEST(RequestIdTest, SaneIdsOnly) {
  EXPECT_TRUE(IsSaneRequestId("a-b_c.9"));
  EXPECT_FALSE(IsSaneRequestId(""));
  EXPECT_FALSE(IsSaneRequestId("a b"));
  EXPECT_FALSE(IsSaneRequestId("a\"b"));
  EXPECT_FALSE(IsSaneRequestId(std::string(129, 'a')));
  const auto id = GenerateRequestId();
  EXPECT_EQ(id.size(), 32u);
  EXPECT_TRUE(IsSaneRequestId(id));
  EXPECT_NE(id, GenerateRequestId());
}

TEST(DigestTest, Sha256AndSecretCompare) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(SecretEquals("s3cret", "s3cret"));
  EXPECT_FALSE(SecretEquals("s3cret", "s3creT"));
  EXPECT_FALSE(SecretEquals("s3cret", "s3cret "));
  EXPECT_FALSE(SecretEquals("", "x"));
}

}  // namespace
}  // namespace boxoffice::http
