#include "interfaces/http/time_format.hpp"

#include <gtest/gtest.h>

namespace boxoffice::http {
namespace {

std::int64_t Ms(std::string_view text) {
  auto t = ParseTime(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t ? t->time_since_epoch().count() : -1;
}

constexpr std::int64_t kNoonUtc = 1795608000000;  // 2026-11-25T12:00:00Z

TEST(ParseTimeTest, UtcAndOffsets) {
  EXPECT_EQ(Ms("2026-11-25T12:00:00Z"), kNoonUtc);
  EXPECT_EQ(Ms("2026-11-25t12:00:00z"), kNoonUtc);
  EXPECT_EQ(Ms("2026-11-25T21:00:00+09:00"), kNoonUtc);
  EXPECT_EQ(Ms("2026-11-25T06:30:00-05:30"), kNoonUtc);
  EXPECT_EQ(Ms("2026-11-26T00:00:00+12:00"), kNoonUtc);
}

TEST(ParseTimeTest, FractionalSecondsKeptToTheMillisecond) {
  EXPECT_EQ(Ms("2026-11-25T12:00:00.5Z"), kNoonUtc + 500);
  EXPECT_EQ(Ms("2026-11-25T12:00:00.123Z"), kNoonUtc + 123);
  EXPECT_EQ(Ms("2026-11-25T12:00:00.123456789Z"), kNoonUtc + 123);
}

TEST(ParseTimeTest, RejectsMalformed) {
  for (auto text :
       {"", "2026-11-25", "2026-11-25T12:00:00", "2026-11-25 12:00:00Z", "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25T12:60:00Z",
        "2026-11-25T12:00:61Z", "2026-11-25T12:00:00.Z", "2026-11-25T12:00:00+0900",
        "2026-11-25T12:00:00+09", "2026-11-25T12:00:00Zjunk", "26-11-25T12:00:00Z",
        "2026-11-25T12:00:00.1234567890Z", "２026-11-25T12:00:00Z"}) {
    EXPECT_FALSE(ParseTime(text).has_value()) << text;
  }
  EXPECT_TRUE(ParseTime("2028-02-29T00:00:00Z").has_value());
}

TEST(FormatTimeTest, UtcSecondsPrecision) {
  EXPECT_EQ(FormatTime(domain::Instant(std::chrono::milliseconds(kNoonUtc + 999))),
            "2026-11-25T12:00:00Z");
  EXPECT_EQ(FormatTime(domain::Instant(std::chrono::milliseconds(0))), "1970-01-01T00:00:00Z");
}

TEST(FormatTimeTest, RoundTrips) {
  const auto t = domain::Instant(std::chrono::milliseconds(kNoonUtc + 86'400'000LL * 400));
  EXPECT_EQ(ParseTime(FormatTime(t)), t);
}

}  // namespace
}  // namespace boxoffice::http
