#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string>

#include "domain/errors.hpp"
#include "interfaces/http/http_types.hpp"

namespace boxoffice::http {

// The response envelope: {"data": ...}, {"list": [...]}, {"error": {"code", "message"}}.
Response DataResponse(boost::json::value data, int status = 200);
Response ListResponse(boost::json::array list);
// The same envelope for a long list whose items write themselves: append_item(body, i) appends
// item i's JSON to the body, with no tree built first.
template <class AppendItem>
Response ListResponse(std::size_t count, std::size_t bytes_per_item, AppendItem append_item) {
  std::string body;
  body.reserve(16 + count * bytes_per_item);
  body += R"({"list":[)";
  for (std::size_t i = 0; i < count; ++i) {
    if (i != 0) body += ',';
    append_item(body, i);
  }
  body += "]}";
  return Response{.status = 200, .body = std::move(body)};
}
Response ErrorResponse(const domain::Error& error);
Response ErrorResponse(domain::ErrorCode code, std::string message);
Response NoContent();

}  // namespace boxoffice::http
