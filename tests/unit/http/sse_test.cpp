#include "interfaces/http/sse.hpp"

#include <gtest/gtest.h>

#include <string>

#include "interfaces/http/http_types.hpp"

namespace boxoffice::http {
namespace {

using std::chrono::milliseconds;

application::QueueStatusView Waiting(std::int64_t position, std::int64_t poll_after_ms = 1000) {
  return {.state = domain::QueueState::kWaiting,
          .position = position,
          .estimated_wait_seconds = position,
          .poll_after_ms = poll_after_ms};
}

TEST(SseEventTest, FramesOneEvent) {
  EXPECT_EQ(SseEvent("status", R"({"position":1})"), "event: status\ndata: {\"position\":1}\n\n");
  EXPECT_EQ(SseEvent("", "x"), "data: x\n\n");
}

TEST(SseEventTest, KeepsEveryLineOfTheDataAndNoStrayLineBreaks) {
  EXPECT_EQ(SseEvent("status", "a\nb\n"), "event: status\ndata: a\ndata: b\ndata: \n\n");
  EXPECT_EQ(SseEvent("st\natus", "a\r\nb\r"), "event: st\ndata: a\ndata: b\n\n");
}

TEST(SseEventTest, KeepAliveIsAComment) {
  EXPECT_EQ(kSseKeepAlive.front(), ':');
  EXPECT_TRUE(kSseKeepAlive.ends_with("\n\n"));
}

TEST(QueueStreamCheckPeriodTest, FollowsThePollHintBetweenOneAndFiveSeconds) {
  EXPECT_EQ(QueueStreamCheckPeriod(0), milliseconds(1000));
  EXPECT_EQ(QueueStreamCheckPeriod(999), milliseconds(1000));
  EXPECT_EQ(QueueStreamCheckPeriod(1000), milliseconds(1000));
  EXPECT_EQ(QueueStreamCheckPeriod(2500), milliseconds(2500));
  EXPECT_EQ(QueueStreamCheckPeriod(5000), milliseconds(5000));
  EXPECT_EQ(QueueStreamCheckPeriod(30'000), milliseconds(5000));
}

TEST(QueueStreamFeedTest, SendsTheStatusOnlyWhenItChanges) {
  QueueStreamFeed feed;
  auto step = feed.OnStatus(Waiting(3));
  EXPECT_EQ(step.frame,
            "event: status\ndata: "
            R"({"status":"WAITING","position":3,"estimatedWaitingTime":3,"pollAfterMs":1000})"
            "\n\n");
  EXPECT_FALSE(step.last);
  EXPECT_EQ(step.next_check, milliseconds(1000));

  step = feed.OnStatus(Waiting(3));
  EXPECT_TRUE(step.frame.empty());
  EXPECT_FALSE(step.last);

  step = feed.OnStatus(Waiting(2));
  EXPECT_NE(step.frame.find(R"("position":2)"), std::string::npos);

  auto slower = Waiting(2, 20'000);  // the hint alone changed: still a change of the object
  step = feed.OnStatus(slower);
  EXPECT_NE(step.frame.find(R"("pollAfterMs":20000)"), std::string::npos);
  EXPECT_EQ(step.next_check, milliseconds(5000));
}

TEST(QueueStreamFeedTest, EndsWithAdmissionOrSoldOut) {
  QueueStreamFeed feed;
  (void)feed.OnStatus(Waiting(1));
  auto step = feed.OnStatus({.state = domain::QueueState::kActive,
                             .position = 0,
                             .estimated_wait_seconds = 0,
                             .poll_after_ms = 5000});
  EXPECT_TRUE(step.last);
  EXPECT_NE(step.frame.find(R"("status":"ACTIVE")"), std::string::npos);

  QueueStreamFeed sold_out;
  step = sold_out.OnStatus({.state = domain::QueueState::kSoldOut, .position = 4});
  EXPECT_TRUE(step.last);
  EXPECT_NE(step.frame.find(R"("status":"SOLD_OUT")"), std::string::npos);
}

TEST(QueueStreamFeedTest, AGonePlaceEndsWithAnErrorEvent) {
  QueueStreamFeed feed;
  (void)feed.OnStatus(Waiting(1));
  auto step = feed.OnError({domain::ErrorCode::kQueueTokenNotFound, "no place"});
  EXPECT_TRUE(step.last);
  EXPECT_EQ(
      step.frame,
      "event: error\ndata: {\"code\":\"queue_token_not_found\",\"message\":\"no place\"}\n\n");
  step = feed.OnError({domain::ErrorCode::kInvalidToken, "superseded"});
  EXPECT_NE(step.frame.find(R"("code":"invalid_token")"), std::string::npos);
}

TEST(DecodeQueryValueTest, DecodesEscapesAndRejectsBrokenOnes) {
  EXPECT_EQ(DecodeQueryValue("abc.DEF_-~"), "abc.DEF_-~");
  EXPECT_EQ(DecodeQueryValue("a%2Eb%2fc+d"), "a.b/c d");
  EXPECT_EQ(DecodeQueryValue(""), "");
  EXPECT_EQ(DecodeQueryValue("%"), std::nullopt);
  EXPECT_EQ(DecodeQueryValue("ab%4"), std::nullopt);
  EXPECT_EQ(DecodeQueryValue("%zz"), std::nullopt);
}

}  // namespace
}  // namespace boxoffice::http
