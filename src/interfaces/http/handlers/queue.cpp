#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/json_input.hpp"
#include "interfaces/http/json_output.hpp"

namespace boxoffice::http::handlers {
namespace {

domain::Result<std::string_view> QueueToken(const RequestContext& ctx) {
  auto token = ctx.request.Header("User-Token");
  if (!token || token->empty()) {
    return domain::Fail(domain::ErrorCode::kUnauthenticated,
                        "a queue token (User-Token header) is required");
  }
  return *token;
}

}  // namespace

Outcome IssueQueueToken(RequestContext& ctx) {
  auto user = RequireUser(ctx);
  if (!user) return ErrorResponse(user.error());
  auto body = BodyObject(ctx);
  if (!body) return ErrorResponse(body.error());
  if (auto r = RejectUnknownFields(*body, {"concertId"}); !r) return ErrorResponse(r.error());
  auto concert = RequiredInt(*body, "concertId", 1, kInt64Max);
  if (!concert) return ErrorResponse(concert.error());

  auto ticket = ctx.services.issue_queue_token.Execute(
      {.user_id = *user, .concert_id = domain::ConcertId{*concert}});
  if (!ticket) return ErrorResponse(ticket.error());
  auto data = ToJson(ticket->status);
  data["token"] = ticket->token;
  return DataResponse(std::move(data), 201);
}

Outcome QueueStatus(RequestContext& ctx) {
  auto token = QueueToken(ctx);
  if (!token) return ErrorResponse(token.error());
  auto view = ctx.services.get_queue_status.Execute(*token);
  if (!view) return ErrorResponse(view.error());
  return DataResponse(ToJson(*view));
}

domain::Result<std::string> QueueStreamToken(const Request& request) {
  if (auto header = request.Header("User-Token"); header && !header->empty()) {
    return std::string(*header);
  }
  auto param = request.QueryParam("token");
  if (!param || param->empty()) {
    return domain::Fail(domain::ErrorCode::kUnauthenticated,
                        "a queue token (User-Token header or token parameter) is required");
  }
  auto token = DecodeQueryValue(*param);
  if (!token) {
    return domain::Fail(domain::ErrorCode::kInvalidToken, "the token parameter is malformed");
  }
  return std::move(*token);
}

domain::Result<application::QueueStatusView> QueueStreamCheck(Services& services,
                                                              std::string_view token) {
  return services.get_queue_status.Execute(token);
}

Outcome LeaveQueue(RequestContext& ctx) {
  auto token = QueueToken(ctx);
  if (!token) return ErrorResponse(token.error());
  auto left = ctx.services.leave_queue.Execute(*token);
  if (!left) return ErrorResponse(left.error());
  return NoContent();
}

}  // namespace boxoffice::http::handlers
