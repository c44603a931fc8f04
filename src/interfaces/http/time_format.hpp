#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/types.hpp"

namespace boxoffice::http {

// Parses an ISO-8601 / RFC 3339 date-time with a mandatory zone: `2026-11-25T12:00:00Z`,
// optional fractional seconds (kept to the millisecond), `Z` or a `+hh:mm`/`-hh:mm` offset.
std::optional<domain::Instant> ParseTime(std::string_view text);

// UTC, seconds precision: `2026-11-25T12:00:00Z`.
std::string FormatTime(domain::Instant t);

}  // namespace boxoffice::http
