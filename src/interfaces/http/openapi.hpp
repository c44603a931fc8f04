#pragma once

#include <string_view>

namespace boxoffice::http {

// api/openapi.yaml, embedded at build time (openapi_document.cpp.in).
std::string_view OpenApiDocument();

}  // namespace boxoffice::http
