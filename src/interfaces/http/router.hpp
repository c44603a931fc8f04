#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "interfaces/http/http_types.hpp"
#include "interfaces/http/route_table.hpp"

namespace boxoffice::http {

struct RouteMatch {
  enum class Kind { kMatched, kNotFound, kMethodNotAllowed, kBadParameter };
  Kind kind = Kind::kNotFound;
  const RouteSpec* route = nullptr;  // set when matched
  PathParams params;
  std::string allow;    // for kMethodNotAllowed: "GET, POST"
  std::string message;  // for kBadParameter: names the parameter
};

// Matches a method and a path (no query) against route templates. Immutable after
// construction, so it is shared by all I/O threads without locking.
class Router {
 public:
  explicit Router(std::span<const RouteSpec> routes);
  RouteMatch Match(std::string_view method, std::string_view path) const;
  const std::vector<RouteSpec>& Routes() const { return routes_; }

 private:
  struct Compiled {
    const RouteSpec* spec;
    std::vector<std::string_view> segments;  // a `{name}` entry marks a parameter
  };
  std::vector<RouteSpec> routes_;
  std::vector<Compiled> compiled_;
};

// Parses a path segment as a positive int64 made of ASCII digits only.
std::optional<std::int64_t> ParsePositiveId(std::string_view text);

}  // namespace boxoffice::http
