#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/json_input.hpp"

namespace boxoffice::http::handlers {

namespace {

// The sign-up of `ctx`'s body, or the error to answer.
domain::Result<application::CreateUserCommand> ReadSignup(const RequestContext& ctx) {
  if (!ctx.settings.signup_enabled) {
    return domain::Fail(domain::ErrorCode::kForbidden, "sign-up is disabled");
  }
  auto body = BodyObject(ctx);
  if (!body) return body.error();
  if (auto r = RejectUnknownFields(*body, {"name"}); !r) return r.error();
  // The use case trims and checks the length; this cap only bounds what is copied.
  auto name = RequiredString(*body, "name", 4 * domain::kMaxNameLength);
  if (!name) return name.error();
  return application::CreateUserCommand{.name = std::move(*name)};
}

Response Created(const application::CreatedUser& created) {
  return DataResponse(boost::json::object{{"id", created.user.id.value},
                                          {"name", created.user.name},
                                          {"accessToken", created.access_token}},
                      201);
}

}  // namespace

Outcome CreateUser(RequestContext& ctx) {
  auto command = ReadSignup(ctx);
  if (!command) return ErrorResponse(command.error());
  auto created = ctx.services.create_user.Execute(*command);
  if (!created) return ErrorResponse(created.error());
  return Created(*created);
}

bool CreateUserAsync(RequestContext& ctx, Reply reply) {
  if (ctx.batches == nullptr) return false;
  auto command = ReadSignup(ctx);
  if (!command) {
    reply(nullptr, ErrorResponse(command.error()));
    return true;
  }
  ctx.batches->signups.Add({.command = *std::move(command), .reply = std::move(reply)});
  return true;
}

void RunSignupBatch(Services& services, std::vector<BatchedSignup>& batch) {
  std::vector<application::CreateUserCommand> commands;
  commands.reserve(batch.size());
  for (const auto& item : batch) commands.push_back(item.command);
  AnswerBatch(
      "sign-ups", batch, [&] { return services.create_user.ExecuteTogether(commands); },
      [](const application::CreatedUser& created) { return Created(created); });
}

}  // namespace boxoffice::http::handlers
