#include "http_message.hpp"

#include <gtest/gtest.h>

namespace boxoffice::loadgen {
namespace {

TEST(FormatRequest, WritesTheLineHostAgentHeadersAndAJsonBodyWithItsLength) {
  EXPECT_EQ(FormatRequest("POST", "/api/v1/queue/token", "127.0.0.1:8080",
                          {{"Authorization", "Bearer abc"}}, R"({"concertId":7})"),
            "POST /api/v1/queue/token HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            "User-Agent: boxoffice-loadgen\r\nAuthorization: Bearer abc\r\n"
            "Content-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"concertId\":7}");
}

TEST(FormatRequest, AGetHasNoBodyFieldsAndAnEmptyPostSaysItsLengthIsZero) {
  EXPECT_EQ(FormatRequest("GET", "/a", "h", {}, ""),
            "GET /a HTTP/1.1\r\nHost: h\r\nUser-Agent: boxoffice-loadgen\r\n\r\n");
  EXPECT_EQ(FormatRequest("POST", "/a", "h", {}, ""),
            "POST /a HTTP/1.1\r\nHost: h\r\nUser-Agent: boxoffice-loadgen\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(ParseResponseHead, WaitsForTheBlankLineThatEndsTheFields) {
  ResponseHead head;
  EXPECT_EQ(ParseResponseHead("", head), HeadParse::kIncomplete);
  EXPECT_EQ(ParseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", head),
            HeadParse::kIncomplete);
}

TEST(ParseResponseHead, ReadsStatusLengthAndWhereTheBodyStarts) {
  const std::string in =
      "HTTP/1.1 201 Created\r\ncontent-length:  11 \r\nX-Other: 1\r\n\r\n{\"data\":{}}";
  ResponseHead head;
  ASSERT_EQ(ParseResponseHead(in, head), HeadParse::kComplete);
  EXPECT_EQ(head.status, 201);
  EXPECT_EQ(head.content_length, 11u);
  EXPECT_EQ(in.substr(head.head_bytes), "{\"data\":{}}");
  EXPECT_FALSE(head.close);
  EXPECT_EQ(head.retry_after_s, 0);
}

TEST(ParseResponseHead, ReadsRetryAfterAndConnectionClose) {
  ResponseHead head;
  ASSERT_EQ(ParseResponseHead("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n"
                              "Connection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n",
                              head),
            HeadParse::kComplete);
  EXPECT_EQ(head.status, 503);
  EXPECT_DOUBLE_EQ(head.retry_after_s, 2.0);
  EXPECT_TRUE(head.close);
}

TEST(ParseResponseHead, HttpOneZeroClosesUnlessItAsksToKeepAlive) {
  ResponseHead head;
  ASSERT_EQ(ParseResponseHead("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", head),
            HeadParse::kComplete);
  EXPECT_TRUE(head.close);
  ASSERT_EQ(ParseResponseHead(
                "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", head),
            HeadParse::kComplete);
  EXPECT_FALSE(head.close);
}

TEST(ParseResponseHead, AStatusWithoutABodyNeedsNoLength) {
  ResponseHead head;
  ASSERT_EQ(ParseResponseHead("HTTP/1.1 204 No Content\r\n\r\n", head), HeadParse::kComplete);
  EXPECT_EQ(head.status, 204);
  EXPECT_EQ(head.content_length, 0u);
}

TEST(ParseResponseHead, RefusesWhatItCannotDelimit) {
  ResponseHead head;
  // No length on a status that has a body, a chunked body, conflicting lengths, a bad length.
  EXPECT_EQ(ParseResponseHead("HTTP/1.1 200 OK\r\n\r\n", head), HeadParse::kInvalid);
  EXPECT_EQ(ParseResponseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", head),
            HeadParse::kInvalid);
  EXPECT_EQ(
      ParseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", head),
      HeadParse::kInvalid);
  EXPECT_EQ(ParseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", head),
            HeadParse::kInvalid);
  EXPECT_EQ(ParseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", head),
            HeadParse::kInvalid);
}

TEST(ParseResponseHead, RefusesAStatusLineThatIsNotHttpOne) {
  ResponseHead head;
  EXPECT_EQ(ParseResponseHead("HTTP/2 200\r\nContent-Length: 0\r\n\r\n", head),
            HeadParse::kInvalid);
  EXPECT_EQ(ParseResponseHead("HTTP/1.1 20x OK\r\nContent-Length: 0\r\n\r\n", head),
            HeadParse::kInvalid);
  EXPECT_EQ(ParseResponseHead("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", head),
            HeadParse::kInvalid);
  EXPECT_EQ(ParseResponseHead("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", head),
            HeadParse::kInvalid);
}

}  // namespace
}  // namespace boxoffice::loadgen
