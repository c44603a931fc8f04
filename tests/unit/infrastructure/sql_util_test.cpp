#include "infrastructure/sql/sql_util.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>

namespace boxoffice::infra::sql {
namespace {

TEST(ParseInteger, ReadsWholeNumbersOfTheTypeAskedFor) {
  EXPECT_EQ(ParseInteger<std::int64_t>("0"), 0);
  EXPECT_EQ(ParseInteger<std::int64_t>("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInteger<std::int64_t>("-42"), -42);
  EXPECT_EQ(ParseInteger<std::int32_t>("2147483647"), INT32_MAX);
}

TEST(ParseInteger, RefusesTextThatIsNotExactlyANumberOfThatType) {
  EXPECT_THROW(ParseInteger<std::int64_t>(""), std::runtime_error);
  EXPECT_THROW(ParseInteger<std::int64_t>("12a"), std::runtime_error);
  EXPECT_THROW(ParseInteger<std::int64_t>(" 12"), std::runtime_error);
  EXPECT_THROW(ParseInteger<std::int64_t>("1.5"), std::runtime_error);
  EXPECT_THROW(ParseInteger<std::int32_t>("2147483648"), std::runtime_error);
  EXPECT_THROW(ParseInteger<std::int64_t>("9223372036854775808"), std::runtime_error);
}

}  // namespace
}  // namespace boxoffice::infra::sql
