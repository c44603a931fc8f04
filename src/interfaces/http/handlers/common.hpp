#pragma once

#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "application/idempotency_guard.hpp"
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

// How long a request waits for an identical one still in flight (a record written by the
// two-phase form of an older version): 500 steps of 20 ms.
inline constexpr int kIdempotencyMaxAttempts = 500;

// The stored response of an earlier identical request with this Idempotency-Key, if any.
std::optional<Response> StoredReplay(const RequestContext& ctx, domain::UserId user,
                                     std::string_view scope, const boost::json::object& body);

// The Idempotency-Key request of `ctx` for `user` and `scope`; invalid_request without a key.
domain::Result<application::IdempotentRequest> IdempotentRequestOf(const RequestContext& ctx,
                                                                   domain::UserId user,
                                                                   std::string_view scope,
                                                                   const boost::json::object& body);
// What to send for the guard's reply: `fresh` (the response built by this request) unless the
// reply is a replay; RetryLater while a record is in flight.
Outcome IdempotentOutcome(const RequestContext& ctx,
                          const domain::Result<application::IdempotentReply>& reply,
                          Response fresh);

// Runs a use case at most once per (user, scope, Idempotency-Key) for the same request, with
// the key's record written in the use case's own transaction (IdempotencyGuard::Run); a repeat
// replays the stored response. `execute` runs the use case with the hooks it is given,
// `respond` builds the response of a success (errors use ErrorResponse), and `committed`, if
// given, runs once for a first request whose success was committed (never for a replay).
template <class T>
Outcome RunIdempotent(
    const RequestContext& ctx, domain::UserId user, std::string_view scope,
    const boost::json::object& body,
    const std::function<domain::Result<T>(const application::TransactionHooks<T>&)>& execute,
    const std::function<Response(const T&)>& respond,
    const std::function<void(const T&)>& committed = {}) {
  auto request = IdempotentRequestOf(ctx, user, scope, body);
  if (!request) return ErrorResponse(request.error());
  // The last response built and its result: a fresh answer is sent whole (headers too).
  Response built;
  std::optional<T> succeeded;
  auto reply = ctx.services.idempotency.Run<T>(
      *request, execute, [&](const domain::Result<T>& result) -> application::StoredResponse {
        if (result) {
          succeeded = *result;
          built = respond(*result);
        } else {
          succeeded.reset();
          built = ErrorResponse(result.error());
        }
        return application::StoredResponse{built.status, built.body};
      });
  if (reply && !reply->replay && succeeded && committed) committed(*succeeded);
  return IdempotentOutcome(ctx, reply, std::move(built));
}

// Runs a batch's use case (ADR 0021) on this worker and answers each request of `batch` (items
// with a `reply`): with `answer(result[i])` when `run` served them together (its optional holds
// one result per request), otherwise, or when it threw, by handing each back to its route's
// blocking handler (RetryLater), which answers it alone.
template <class Item, class Run, class Answer>
void AnswerBatch(std::string_view kind, std::vector<Item>& batch, Run&& run, Answer&& answer) {
  decltype(run()) together;
  try {
    together = run();
  } catch (const std::exception& e) {
    // Each request alone meets the same failure and answers it as any request would.
    spdlog::warn("a batch of {} {} failed, each runs alone: {}", batch.size(), kind, e.what());
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (together) {
      batch[i].reply(nullptr, Outcome(answer((*together)[i])));
    } else {
      batch[i].reply(nullptr, RetryLater{});
    }
  }
}

}  // namespace boxoffice::http
