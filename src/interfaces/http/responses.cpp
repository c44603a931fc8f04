#include "interfaces/http/responses.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "interfaces/http/error_mapping.hpp"

namespace boxoffice::http {

Response DataResponse(boost::json::value data, int status) {
  boost::json::object envelope;
  envelope["data"] = std::move(data);
  return Response{.status = status, .body = boost::json::serialize(envelope)};
}

Response ListResponse(boost::json::array list) {
  boost::json::object envelope;
  envelope["list"] = std::move(list);
  return Response{.status = 200, .body = boost::json::serialize(envelope)};
}

Response ErrorResponse(const domain::Error& error) {
  const auto wire = MapError(error.code);
  boost::json::object body;
  body["code"] = wire.code;
  body["message"] = error.message;
  boost::json::object envelope;
  envelope["error"] = std::move(body);
  Response response{.status = wire.status, .body = boost::json::serialize(envelope)};
  if (wire.status == 429 || wire.status == 503) response.headers.emplace_back("Retry-After", "1");
  return response;
}

Response ErrorResponse(domain::ErrorCode code, std::string message) {
  return ErrorResponse(domain::Error{code, std::move(message)});
}

Response NoContent() { return Response{.status = 204, .content_type = "", .body = ""}; }

}  // namespace boxoffice::http
