#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"
#include "domain/types.hpp"

// Strict readers for request bodies. Every failure is invalid_request (or the code the caller
// names, e.g. invalid_amount) with a message that names the offending field.
namespace boxoffice::http {

inline constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

// The body must be one JSON object (an empty body is rejected too).
domain::Result<boost::json::object> ParseObject(std::string_view body);

// Integers must be JSON integers (not 1.5, 1e3, "1", true) within [min, max].
domain::Result<std::int64_t> RequiredInt(
    const boost::json::object& obj, std::string_view field, std::int64_t min, std::int64_t max,
    domain::ErrorCode code = domain::ErrorCode::kInvalidRequest);
// Absent or null reads as nullopt.
domain::Result<std::optional<std::int64_t>> OptionalInt(
    const boost::json::object& obj, std::string_view field, std::int64_t min, std::int64_t max,
    domain::ErrorCode code = domain::ErrorCode::kInvalidRequest);

domain::Result<std::string> RequiredString(const boost::json::object& obj, std::string_view field,
                                           std::size_t max_length);
domain::Result<std::optional<std::string>> OptionalString(const boost::json::object& obj,
                                                          std::string_view field,
                                                          std::size_t max_length);

// A non-empty array of positive int64 ids, at most max_items long.
domain::Result<std::vector<std::int64_t>> RequiredIdArray(const boost::json::object& obj,
                                                          std::string_view field,
                                                          std::size_t max_items);

domain::Result<domain::Instant> RequiredTime(const boost::json::object& obj,
                                             std::string_view field);

// invalid_request naming the first field not in `allowed`.
domain::Result<void> RejectUnknownFields(const boost::json::object& obj,
                                         std::initializer_list<std::string_view> allowed);

}  // namespace boxoffice::http
