#include "interfaces/http/json_input.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "interfaces/http/time_format.hpp"

namespace boxoffice::http {
namespace {

using domain::ErrorCode;
using domain::Fail;

std::string Quoted(std::string_view field) { return "'" + std::string(field) + "'"; }

// Parses one integer value; `null_ok` lets optional fields be sent as null.
domain::Result<std::optional<std::int64_t>> ReadInt(const boost::json::object& obj,
                                                    std::string_view field, std::int64_t min,
                                                    std::int64_t max, ErrorCode code,
                                                    bool required) {
  const auto* value = obj.if_contains(field);
  if (value == nullptr && !required) return std::optional<std::int64_t>{};
  if (value == nullptr || (value->is_null() && required)) {
    return Fail(ErrorCode::kInvalidRequest, Quoted(field) + " is required");
  }
  const std::string range =
      " must be an integer between " + std::to_string(min) + " and " + std::to_string(max);
  // Boost.JSON reads integers past int64 as uint64 or double, and 1.5 or 1e3 as double: all of
  // them fail is_int64.
  if (!value->is_int64() || value->get_int64() < min || value->get_int64() > max) {
    return Fail(code, Quoted(field) + range);
  }
  const std::int64_t v = value->get_int64();
  return std::optional<std::int64_t>{v};
}

domain::Result<std::optional<std::string>> ReadString(const boost::json::object& obj,
                                                      std::string_view field,
                                                      std::size_t max_length, bool required) {
  const auto* value = obj.if_contains(field);
  // An optional field is left out to mean "not given"; null is not a string.
  if (value == nullptr && !required) return std::optional<std::string>{};
  if (value == nullptr || (value->is_null() && required)) {
    return Fail(ErrorCode::kInvalidRequest, Quoted(field) + " is required");
  }
  if (!value->is_string()) {
    return Fail(ErrorCode::kInvalidRequest, Quoted(field) + " must be a string");
  }
  const auto& s = value->get_string();
  if (s.size() > max_length) {
    return Fail(ErrorCode::kInvalidRequest,
                Quoted(field) + " must be at most " + std::to_string(max_length) + " bytes");
  }
  return std::optional<std::string>{std::string(s)};
}

}  // namespace

domain::Result<boost::json::object> ParseObject(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec) return Fail(ErrorCode::kInvalidRequest, "request body is not valid JSON");
  if (!value.is_object()) {
    return Fail(ErrorCode::kInvalidRequest, "request body must be a JSON object");
  }
  return std::move(value.get_object());
}

domain::Result<std::int64_t> RequiredInt(const boost::json::object& obj, std::string_view field,
                                         std::int64_t min, std::int64_t max, ErrorCode code) {
  auto r = ReadInt(obj, field, min, max, code, true);
  if (!r) return r.error();
  return **r;
}

domain::Result<std::optional<std::int64_t>> OptionalInt(const boost::json::object& obj,
                                                        std::string_view field, std::int64_t min,
                                                        std::int64_t max, ErrorCode code) {
  return ReadInt(obj, field, min, max, code, false);
}

domain::Result<std::string> RequiredString(const boost::json::object& obj, std::string_view field,
                                           std::size_t max_length) {
  auto r = ReadString(obj, field, max_length, true);
  if (!r) return r.error();
  return std::move(**r);
}

domain::Result<std::optional<std::string>> OptionalString(const boost::json::object& obj,
                                                          std::string_view field,
                                                          std::size_t max_length) {
  return ReadString(obj, field, max_length, false);
}

domain::Result<std::vector<std::int64_t>> RequiredIdArray(const boost::json::object& obj,
                                                          std::string_view field,
                                                          std::size_t max_items) {
  const auto* value = obj.if_contains(field);
  if (value == nullptr || value->is_null()) {
    return Fail(ErrorCode::kInvalidRequest, Quoted(field) + " is required");
  }
  if (!value->is_array()) {
    return Fail(ErrorCode::kInvalidRequest, Quoted(field) + " must be an array of ids");
  }
  const auto& array = value->get_array();
  if (array.empty()) return Fail(ErrorCode::kInvalidRequest, Quoted(field) + " must not be empty");
  if (array.size() > max_items) {
    return Fail(ErrorCode::kTooManySeats,
                Quoted(field) + " may hold at most " + std::to_string(max_items) + " ids");
  }
  std::vector<std::int64_t> ids;
  ids.reserve(array.size());
  for (const auto& item : array) {
    if (!item.is_int64() || item.get_int64() <= 0) {
      return Fail(ErrorCode::kInvalidRequest,
                  Quoted(field) + " must contain positive integer ids only");
    }
    ids.push_back(item.get_int64());
  }
  return ids;
}

domain::Result<domain::Instant> RequiredTime(const boost::json::object& obj,
                                             std::string_view field) {
  auto text = ReadString(obj, field, 64, true);
  if (!text) return text.error();
  auto t = ParseTime(**text);
  if (!t) {
    return Fail(ErrorCode::kInvalidRequest,
                Quoted(field) + " must be an ISO-8601 date-time such as 2026-11-25T12:00:00Z");
  }
  return *t;
}

domain::Result<void> RejectUnknownFields(const boost::json::object& obj,
                                         std::initializer_list<std::string_view> allowed) {
  for (const auto& member : obj) {
    const std::string_view key = member.key();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Fail(ErrorCode::kInvalidRequest, "unknown field " + Quoted(key));
    }
  }
  return {};
}

}  // namespace boxoffice::http
