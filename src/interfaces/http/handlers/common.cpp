#include "interfaces/http/handlers/common.hpp"

#include <spdlog/spdlog.h>

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

Outcome RunIdempotent(const RequestContext& ctx, domain::UserId user, std::string_view scope,
                      const boost::json::object& body, const std::function<Response()>& run) {
  auto key_header = ctx.request.Header("Idempotency-Key");
  if (!key_header || key_header->empty()) {
    return ErrorResponse(ErrorCode::kInvalidRequest, "the Idempotency-Key header is required");
  }
  const std::string key(*key_header);
  const std::string scope_name(scope);
  const std::string hash = RequestHash(ctx, user, body);

  auto decision = ctx.services.idempotency.Begin(user, scope_name, key, hash);
  if (!decision) {
    if (decision.error().code == ErrorCode::kIdempotencyInProgress &&
        ctx.attempt < kIdempotencyMaxAttempts) {
      return RetryLater{};
    }
    return ErrorResponse(decision.error());
  }
  if (const auto* stored = std::get_if<application::StoredResponse>(&*decision)) {
    return ReplayOf(*stored);
  }

  Response response;
  try {
    response = run();
  } catch (...) {
    try {
      ctx.services.idempotency.Forget(user, scope_name, key);
    } catch (const std::exception& e) {
      spdlog::warn("idempotency key left in flight: {}", e.what());
    }
    throw;
  }
  try {
    if (response.status < 500) {
      ctx.services.idempotency.Complete(
          user, scope_name, key, application::StoredResponse{response.status, response.body});
    } else {
      ctx.services.idempotency.Forget(user, scope_name, key);
    }
  } catch (const std::exception& e) {
    // The outcome is committed and must be reported as it is. The key stays in flight: repeats
    // get 409 until it is taken over as abandoned, and the conditional writes behind payments
    // and charges keep a takeover from moving money twice.
    spdlog::warn("idempotency response not stored: {}", e.what());
  }
  return response;
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
