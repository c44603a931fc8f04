#include "interfaces/http/handlers/common.hpp"

#include <boost/json/serialize.hpp>

#include "interfaces/http/digest.hpp"
#include "interfaces/http/json_input.hpp"

namespace boxoffice::http {
namespace {

using domain::ErrorCode;
using domain::Fail;

// The token of an `Authorization: Bearer x` header; empty when the header is absent.
domain::Result<std::string_view> BearerToken(const Request& request) {
  auto header = request.Header("Authorization");
  if (!header || header->empty()) return std::string_view();
  constexpr std::string_view kScheme = "Bearer ";
  if (header->size() <= kScheme.size() ||
      !EqualsIgnoreCase(header->substr(0, kScheme.size()), kScheme)) {
    return Fail(ErrorCode::kInvalidToken, "Authorization must be 'Bearer <token>'");
  }
  auto token = header->substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return token;
}

// The parsed body is re-serialized so formatting differences do not make a different request.
std::string RequestHash(const RequestContext& ctx, domain::UserId user,
                        const boost::json::object& body) {
  std::string material = ctx.request.method;
  material += '\n';
  material += ctx.route.path;
  material += '\n';
  material += std::to_string(user.value);
  material += '\n';
  material += boost::json::serialize(body);
  return Sha256Hex(material);
}

Response ReplayOf(const application::StoredResponse& stored) {
  Response replay{.status = stored.status, .body = stored.body};
  replay.headers.emplace_back("Idempotent-Replay", "true");
  return replay;
}

}  // namespace

domain::Result<domain::UserId> RequireUser(const RequestContext& ctx) {
  auto token = BearerToken(ctx.request);
  if (!token) return token.error();
  if (token->empty()) return Fail(ErrorCode::kUnauthenticated, "an access token is required");
  return ctx.services.authenticate.Execute(*token);
}

domain::Result<domain::UserId> RequireSelf(const RequestContext& ctx) {
  auto user = RequireUser(ctx);
  if (!user) return user;
  if (user->value != ctx.params.Get("userId")) {
    return Fail(ErrorCode::kForbidden, "you may only access your own account");
  }
  return user;
}

domain::Result<application::ActiveUser> RequireActive(const RequestContext& ctx) {
  auto token = ctx.request.Header("User-Token");
  if (!token || token->empty()) {
    return Fail(ErrorCode::kUnauthenticated, "a queue token (User-Token header) is required");
  }
  if (ctx.active) return *ctx.active;
  return ctx.services.queue_access.RequireActive(*token);
}

domain::Result<void> RequireAdmin(const RequestContext& ctx) {
  auto token = BearerToken(ctx.request);
  if (!token) return token.error();
  if (token->empty()) return Fail(ErrorCode::kUnauthenticated, "the admin token is required");
  if (ctx.settings.admin_token.empty()) {
    return Fail(ErrorCode::kForbidden, "the admin API is disabled (no admin token configured)");
  }
  if (!SecretEquals(*token, ctx.settings.admin_token)) {
    return Fail(ErrorCode::kInvalidToken, "wrong admin token");
  }
  return {};
}

domain::Result<boost::json::object> BodyObject(const RequestContext& ctx) {
  return ParseObject(ctx.request.body);
}

domain::Result<application::IdempotentRequest> IdempotentRequestOf(
    const RequestContext& ctx, domain::UserId user, std::string_view scope,
    const boost::json::object& body) {
  auto key = ctx.request.Header("Idempotency-Key");
  if (!key || key->empty()) {
    return Fail(ErrorCode::kInvalidRequest, "the Idempotency-Key header is required");
  }
  return application::IdempotentRequest{.user = user,
                                        .scope = std::string(scope),
                                        .key = std::string(*key),
                                        .request_hash = RequestHash(ctx, user, body)};
}

Outcome IdempotentOutcome(const RequestContext& ctx,
                          const domain::Result<application::IdempotentReply>& reply,
                          Response fresh) {
  if (!reply) {
    if (reply.error().code == ErrorCode::kIdempotencyInProgress &&
        ctx.attempt < kIdempotencyMaxAttempts) {
      return RetryLater{};
    }
    return ErrorResponse(reply.error());
  }
  if (reply->replay) return ReplayOf(reply->response);
  return fresh;
}

std::optional<Response> StoredReplay(const RequestContext& ctx, domain::UserId user,
                                     std::string_view scope, const boost::json::object& body) {
  auto key = ctx.request.Header("Idempotency-Key");
  if (!key || key->empty()) return std::nullopt;
  auto stored = ctx.services.idempotency.Replay(user, std::string(scope), std::string(*key),
                                                RequestHash(ctx, user, body));
  if (!stored) return std::nullopt;
  return ReplayOf(*stored);
}

}  // namespace boxoffice::http
