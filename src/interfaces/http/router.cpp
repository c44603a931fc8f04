#include "interfaces/http/router.hpp"

#include <charconv>
#include <limits>

namespace boxoffice::http {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  // Bounded by the path length: every iteration consumes at least one character or ends.
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::optional<std::int64_t> ParsePositiveId(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

Router::Router(std::span<const RouteSpec> routes) : routes_(routes.begin(), routes.end()) {
  compiled_.reserve(routes_.size());
  for (const auto& spec : routes_) compiled_.push_back({&spec, Split(spec.path)});
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  const auto segments = Split(path);
  RouteMatch result;
  std::string bad_parameter;
  for (const auto& route : compiled_) {
    if (route.segments.size() != segments.size()) continue;
    bool shape_matches = true;
    for (std::size_t i = 0; i < segments.size() && shape_matches; ++i) {
      shape_matches =
          IsParam(route.segments[i]) ? !segments[i].empty() : route.segments[i] == segments[i];
    }
    if (!shape_matches) continue;

    PathParams params;
    std::string bad;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (!IsParam(route.segments[i])) continue;
      auto name = route.segments[i].substr(1, route.segments[i].size() - 2);
      auto id = ParsePositiveId(segments[i]);
      if (!id) {
        bad = std::string(name) + " must be a positive integer";
        break;
      }
      params.values.emplace_back(name, *id);
    }
    if (!bad.empty()) {
      if (bad_parameter.empty()) bad_parameter = std::move(bad);
      continue;
    }
    if (route.spec->method == method) {
      result.kind = RouteMatch::Kind::kMatched;
      result.route = route.spec;
      result.params = std::move(params);
      return result;
    }
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += route.spec->method;
  }
  if (!result.allow.empty()) {
    result.kind = RouteMatch::Kind::kMethodNotAllowed;
  } else if (!bad_parameter.empty()) {
    result.kind = RouteMatch::Kind::kBadParameter;
    result.message = std::move(bad_parameter);
  }
  return result;
}

}  // namespace boxoffice::http
