#include "domain/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace boxoffice::domain {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return Fail(ErrorCode::kInvalidRequest, "odd");
  return n / 2;
}

TEST(ResultTest, HoldsAValue) {
  auto r = Half(8);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 4);
  EXPECT_EQ(*r, 4);
}

TEST(ResultTest, HoldsAnError) {
  auto r = Half(3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(r.error().message, "odd");
}

TEST(ResultTest, ArrowAndMoveOut) {
  Result<std::string> r(std::string("seat"));
  EXPECT_EQ(r->size(), 4u);
  Result<std::unique_ptr<int>> owned(std::make_unique<int>(9));
  std::unique_ptr<int> p = std::move(owned).value();
  EXPECT_EQ(*p, 9);
}

TEST(ResultTest, VoidResult) {
  Result<void> ok;
  EXPECT_TRUE(ok.ok());
  Result<void> failed = Fail(ErrorCode::kSeatUnavailable, "taken");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kSeatUnavailable);
}

}  // namespace
}  // namespace boxoffice::domain
