#pragma once

#include <string_view>

#include "domain/errors.hpp"

namespace boxoffice::http {

struct WireError {
  int status = 500;
  std::string_view code;  // snake_case, as sent in {"error": {"code": ...}}
};

// The one table from domain error codes to HTTP.
WireError MapError(domain::ErrorCode code);

}  // namespace boxoffice::http
