#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "domain/errors.hpp"
#include "interfaces/http/http_types.hpp"

namespace boxoffice::http {

// The response envelope: {"data": ...}, {"list": [...]}, {"error": {"code", "message"}}.
Response DataResponse(boost::json::value data, int status = 200);
Response ListResponse(boost::json::array list);
Response ErrorResponse(const domain::Error& error);
Response ErrorResponse(domain::ErrorCode code, std::string message);
Response NoContent();

}  // namespace boxoffice::http
