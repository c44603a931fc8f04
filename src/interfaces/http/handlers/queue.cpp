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

namespace {

// The request of a token issue, read and checked: the user and the concert.
domain::Result<application::IssueQueueTokenCommand> TokenRequest(const RequestContext& ctx) {
  auto user = RequireUser(ctx);
  if (!user) return user.error();
  auto body = BodyObject(ctx);
  if (!body) return body.error();
  if (auto r = RejectUnknownFields(*body, {"concertId"}); !r) return r.error();
  auto concert = RequiredInt(*body, "concertId", 1, kInt64Max);
  if (!concert) return concert.error();
  return application::IssueQueueTokenCommand{.user_id = *user,
                                             .concert_id = domain::ConcertId{*concert}};
}

Outcome TicketResponse(const domain::Result<application::QueueTicket>& ticket) {
  if (!ticket) return ErrorResponse(ticket.error());
  auto data = ToJson(ticket->status);
  data["token"] = ticket->token;
  return DataResponse(std::move(data), 201);
}

Outcome StatusResponse(const domain::Result<application::QueueStatusView>& view) {
  if (!view) return ErrorResponse(view.error());
  return DataResponse(ToJson(*view));
}

// Adapts a use case's completion to the handler's reply.
template <class T>
domain::Completion<domain::Result<T>> Answer(Reply reply,
                                             Outcome (*respond)(const domain::Result<T>&)) {
  return [reply = std::move(reply), respond](std::exception_ptr error, domain::Result<T> result) {
    if (error) {
      reply(error, Response{});
    } else {
      reply(nullptr, respond(result));
    }
  };
}

}  // namespace

Outcome IssueQueueToken(RequestContext& ctx) {
  auto command = TokenRequest(ctx);
  if (!command) return ErrorResponse(command.error());
  return TicketResponse(ctx.services.issue_queue_token.Execute(*command));
}

bool IssueQueueTokenAsync(RequestContext& ctx, Reply reply) {
  auto command = TokenRequest(ctx);
  if (!command) {
    reply(nullptr, ErrorResponse(command.error()));
    return true;
  }
  return ctx.services.issue_queue_token.TryExecuteAsync(
      *command, Answer<application::QueueTicket>(std::move(reply), TicketResponse));
}

Outcome QueueStatus(RequestContext& ctx) {
  auto token = QueueToken(ctx);
  if (!token) return ErrorResponse(token.error());
  return StatusResponse(ctx.services.get_queue_status.Execute(*token));
}

bool QueueStatusAsync(RequestContext& ctx, Reply reply) {
  auto token = QueueToken(ctx);
  if (!token) {
    reply(nullptr, ErrorResponse(token.error()));
    return true;
  }
  return ctx.services.get_queue_status.TryExecuteAsync(
      *token, Answer<application::QueueStatusView>(std::move(reply), StatusResponse));
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
