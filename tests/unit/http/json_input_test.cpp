#include "interfaces/http/json_input.hpp"

#include <gtest/gtest.h>

namespace boxoffice::http {
namespace {

using domain::ErrorCode;

boost::json::object Obj(std::string_view text) {
  auto r = ParseObject(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : boost::json::object{};
}

TEST(ParseObjectTest, RejectsAnythingButOneObject) {
  for (auto body : {"", "   ", "[]", "1", "\"x\"", "null", "{", "{\"a\":1,}", "{\"a\":1} {}",
                    "{'a':1}", "{\"a\":1 // c\n}", "\xff"}) {
    auto r = ParseObject(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  }
  EXPECT_TRUE(ParseObject(R"({"a": [1, {"b": null}]})").ok());
}

TEST(RequiredIntTest, AcceptsIntegersInRange) {
  auto obj = Obj(R"({"n": 5, "big": 9223372036854775807})");
  EXPECT_EQ(*RequiredInt(obj, "n", 1, 10), 5);
  EXPECT_EQ(*RequiredInt(obj, "big", 1, kInt64Max), kInt64Max);
}

TEST(RequiredIntTest, RejectsWrongTypesAndRanges) {
  auto obj = Obj(
      R"({"float": 1.5, "whole_float": 1.0, "exp": 1e3, "str": "1", "bool": true, "null": null,
          "huge": 9223372036854775808, "neg": -1, "zero": 0, "arr": [1], "obj": {}})");
  for (auto field : {"float", "whole_float", "exp", "str", "bool", "null", "huge", "neg", "zero",
                     "arr", "obj", "missing"}) {
    auto r = RequiredInt(obj, field, 1, kInt64Max);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest) << field;
    EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
  }
}

TEST(RequiredIntTest, UsesTheCallersCodeForAmounts) {
  auto obj = Obj(R"({"amount": 1.5, "neg": -5})");
  EXPECT_EQ(RequiredInt(obj, "amount", 1, 100, ErrorCode::kInvalidAmount).error().code,
            ErrorCode::kInvalidAmount);
  EXPECT_EQ(RequiredInt(obj, "neg", 1, 100, ErrorCode::kInvalidAmount).error().code,
            ErrorCode::kInvalidAmount);
  EXPECT_EQ(RequiredInt(obj, "absent", 1, 100, ErrorCode::kInvalidAmount).error().code,
            ErrorCode::kInvalidRequest);
}

TEST(OptionalIntTest, AbsentIsEmptyAndNullIsRefused) {
  auto obj = Obj(R"({"a": null, "b": 3, "c": "x"})");
  EXPECT_EQ(OptionalInt(obj, "a", 0, 10).error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(OptionalString(obj, "a", 10).error().code, ErrorCode::kInvalidRequest);
  EXPECT_FALSE(OptionalString(obj, "zz", 10)->has_value());
  EXPECT_FALSE(OptionalInt(obj, "zz", 0, 10)->has_value());
  EXPECT_EQ(**OptionalInt(obj, "b", 0, 10), 3);
  EXPECT_FALSE(OptionalInt(obj, "c", 0, 10).ok());
  EXPECT_FALSE(OptionalInt(obj, "b", 4, 10).ok());
}

TEST(RequiredStringTest, TypesAndLength) {
  auto obj = Obj(R"({"s": "abc", "n": 1, "long": "abcdef"})");
  EXPECT_EQ(*RequiredString(obj, "s", 10), "abc");
  EXPECT_FALSE(RequiredString(obj, "n", 10).ok());
  EXPECT_FALSE(RequiredString(obj, "missing", 10).ok());
  auto r = RequiredString(obj, "long", 5);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("long"), std::string::npos);
}

TEST(RequiredIdArrayTest, PositiveIntegerIdsOnly) {
  auto obj = Obj(R"({"ok": [1, 2, 3], "empty": [], "mixed": [1, "2"], "neg": [1, -2],
                     "float": [1.5], "notarray": 5, "many": [1,2,3,4,5]})");
  EXPECT_EQ(RequiredIdArray(obj, "ok", 10)->size(), 3u);
  for (auto field : {"empty", "mixed", "neg", "float", "notarray", "missing"}) {
    auto r = RequiredIdArray(obj, field, 10);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest) << field;
  }
  EXPECT_EQ(RequiredIdArray(obj, "many", 4).error().code, ErrorCode::kTooManySeats);
}

TEST(RequiredTimeTest, ParsesIsoTimes) {
  auto obj = Obj(R"({"t": "2026-11-25T12:00:00Z", "bad": "2026-11-25 12:00", "n": 5})");
  EXPECT_EQ(RequiredTime(obj, "t")->time_since_epoch().count(), 1795608000000);
  EXPECT_FALSE(RequiredTime(obj, "bad").ok());
  EXPECT_FALSE(RequiredTime(obj, "n").ok());
  EXPECT_FALSE(RequiredTime(obj, "missing").ok());
}

TEST(RejectUnknownFieldsTest, NamesTheField) {
  auto obj = Obj(R"({"a": 1, "surprise": 2})");
  EXPECT_TRUE(RejectUnknownFields(obj, {"a", "surprise"}).ok());
  auto r = RejectUnknownFields(obj, {"a"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("surprise"), std::string::npos);
}

}  // namespace
}  // namespace boxoffice::http
