#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string_view>

#include "application/queue_access.hpp"
#include "domain/result.hpp"
#include "interfaces/http/handlers/context.hpp"
#include "interfaces/http/responses.hpp"

namespace boxoffice::http {

// The user named by `Authorization: Bearer <access token>`.
domain::Result<domain::UserId> RequireUser(const RequestContext& ctx);
// The bearer user, who must be the `{userId}` of the path (403 forbidden otherwise).
domain::Result<domain::UserId> RequireSelf(const RequestContext& ctx);
// An admitted user, proven by the `User-Token` header.
domain::Result<application::ActiveUser> RequireActive(const RequestContext& ctx);
// `Authorization: Bearer <admin token>`: 401 unauthenticated when missing, 401 invalid_token when
// wrong, 403 forbidden when no admin token is configured.
domain::Result<void> RequireAdmin(const RequestContext& ctx);

// The request body as a JSON object.
domain::Result<boost::json::object> BodyObject(const RequestContext& ctx);

// How long a request waits for an identical one still in flight: 500 steps of 20 ms.
inline constexpr int kIdempotencyMaxAttempts = 500;

// The stored response of an earlier identical request with this Idempotency-Key, if any.
std::optional<Response> StoredReplay(const RequestContext& ctx, domain::UserId user,
                                     std::string_view scope, const boost::json::object& body);

// Runs `run` at most once per (user, scope, Idempotency-Key) for the same request; a repeat
// replays the stored response, a repeat during the first one waits for it (RetryLater).
Outcome RunIdempotent(const RequestContext& ctx, domain::UserId user, std::string_view scope,
                      const boost::json::object& body, const std::function<Response()>& run);

}  // namespace boxoffice::http
