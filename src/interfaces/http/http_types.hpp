#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

// Transport-neutral request and response types. Handlers see only these, so they compile without
// Beast or Asio; server.cpp converts from and to the Beast types.
namespace boxoffice::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string path;   // without the query string
  std::string query;  // after '?', undecoded
  HeaderList headers;
  std::string body;
  std::string client_address;

  // Case-insensitive lookup; the first value when repeated.
  std::optional<std::string_view> Header(std::string_view name) const;
  // The undecoded value of a query parameter.
  std::optional<std::string_view> QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  HeaderList headers;
};

// Returned by a handler that must wait for another request to finish (an Idempotency-Key still
// in flight): the server waits without blocking an I/O thread, then calls the handler again.
struct RetryLater {};

using Outcome = std::variant<Response, RetryLater>;

// Path parameters of the matched route, in template order.
struct PathParams {
  std::vector<std::pair<std::string_view, std::int64_t>> values;
  std::int64_t Get(std::string_view name) const;  // 0 when absent (a route/handler mismatch)
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// A query parameter value with its %XX escapes and '+' (a space in form encoding) decoded;
// nullopt when an escape is malformed.
std::optional<std::string> DecodeQueryValue(std::string_view raw);

}  // namespace boxoffice::http
