#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/json_input.hpp"

namespace boxoffice::http::handlers {

Outcome CreateUser(RequestContext& ctx) {
  if (!ctx.settings.signup_enabled) {
    return ErrorResponse(domain::ErrorCode::kForbidden, "sign-up is disabled");
  }
  auto body = BodyObject(ctx);
  if (!body) return ErrorResponse(body.error());
  if (auto r = RejectUnknownFields(*body, {"name"}); !r) return ErrorResponse(r.error());
  // The use case trims and checks the length; this cap only bounds what is copied.
  auto name = RequiredString(*body, "name", 4 * domain::kMaxNameLength);
  if (!name) return ErrorResponse(name.error());

  auto created = ctx.services.create_user.Execute({.name = std::move(*name)});
  if (!created) return ErrorResponse(created.error());
  return DataResponse(boost::json::object{{"id", created->user.id.value},
                                          {"name", created->user.name},
                                          {"accessToken", created->access_token}},
                      201);
}

}  // namespace boxoffice::http::handlers
