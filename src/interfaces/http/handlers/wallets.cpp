#include <boost/json/array.hpp>
#include <string_view>

#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/json_input.hpp"
#include "interfaces/http/json_output.hpp"
#include "interfaces/http/router.hpp"

namespace boxoffice::http::handlers {
namespace {

constexpr int kDefaultLedgerLimit = 100;
constexpr int kMaxLedgerLimit = 1000;

template <class T>
Outcome ListOf(const domain::Result<std::vector<T>>& items) {
  if (!items) return ErrorResponse(items.error());
  boost::json::array list;
  list.reserve(items->size());
  for (const auto& item : *items) list.push_back(ToJson(item));
  return ListResponse(std::move(list));
}

Response Balance(domain::Money balance) {
  return DataResponse(boost::json::object{{"balance", balance.won}});
}

}  // namespace

Outcome UserPayments(RequestContext& ctx) {
  auto user = RequireSelf(ctx);
  if (!user) return ErrorResponse(user.error());
  return ListOf(ctx.services.user_queries.Payments(*user));
}

Outcome UserReservations(RequestContext& ctx) {
  auto user = RequireSelf(ctx);
  if (!user) return ErrorResponse(user.error());
  return ListOf(ctx.services.user_queries.Reservations(*user));
}

Outcome WalletBalance(RequestContext& ctx) {
  auto user = RequireSelf(ctx);
  if (!user) return ErrorResponse(user.error());
  auto balance = ctx.services.user_queries.Balance(*user);
  if (!balance) return ErrorResponse(balance.error());
  return Balance(*balance);
}

namespace {

constexpr std::string_view kChargeScope = "wallet.charge";

// A charge's input, checked in the order every charge is: the caller, the body, the amount.
struct ChargeInput {
  domain::UserId user;
  domain::Money amount;
  boost::json::object body;
};

domain::Result<ChargeInput> ReadCharge(const RequestContext& ctx) {
  auto user = RequireSelf(ctx);
  if (!user) return user.error();
  auto body = BodyObject(ctx);
  if (!body) return body.error();
  if (auto r = RejectUnknownFields(*body, {"amount"}); !r) return r.error();
  auto amount = RequiredInt(*body, "amount", 1, domain::kMaxChargeAmount.won,
                            domain::ErrorCode::kInvalidAmount);
  if (!amount) return amount.error();
  return ChargeInput{*user, domain::Money{*amount}, *std::move(body)};
}

application::ChargeWalletCommand CommandOf(const RequestContext& ctx, const ChargeInput& input) {
  return {.user_id = input.user,
          .amount = input.amount,
          .idempotency_key = std::string(ctx.request.Header("Idempotency-Key").value_or(""))};
}

}  // namespace

Outcome WalletCharge(RequestContext& ctx) {
  auto input = ReadCharge(ctx);
  if (!input) return ErrorResponse(input.error());
  const auto command = CommandOf(ctx, *input);
  return RunIdempotent<domain::Money>(
      ctx, input->user, kChargeScope, input->body,
      [&](const application::TransactionHooks<domain::Money>& hooks) {
        return ctx.services.charge_wallet.Execute(command, hooks);
      },
      Balance);
}

bool WalletChargeAsync(RequestContext& ctx, Reply reply) {
  if (ctx.batches == nullptr) return false;
  auto input = ReadCharge(ctx);
  if (!input) {
    reply(nullptr, ErrorResponse(input.error()));
    return true;
  }
  auto request = IdempotentRequestOf(ctx, input->user, kChargeScope, input->body);
  if (!request) {
    reply(nullptr, ErrorResponse(request.error()));
    return true;
  }
  ctx.batches->charges.Add(
      {.charge = {.command = CommandOf(ctx, *input), .request = *std::move(request)},
       .reply = std::move(reply)});
  return true;
}

void RunChargeBatch(Services& services, std::vector<BatchedCharge>& batch) {
  std::vector<application::ChargeWallet::Together> charges;
  charges.reserve(batch.size());
  for (const auto& item : batch) charges.push_back(item.charge);
  AnswerBatch(
      "charges", batch,
      [&] {
        return services.charge_wallet.ExecuteTogether(
            charges, [](domain::Money balance) -> application::StoredResponse {
              Response built = Balance(balance);
              return {built.status, std::move(built.body)};
            });
      },
      [](application::StoredResponse& stored) {
        return Response{.status = stored.status, .body = std::move(stored.body)};
      });
}

Outcome WalletTransactions(RequestContext& ctx) {
  auto user = RequireSelf(ctx);
  if (!user) return ErrorResponse(user.error());
  int limit = kDefaultLedgerLimit;
  if (auto text = ctx.request.QueryParam("limit")) {
    auto parsed = ParsePositiveId(*text);
    if (!parsed || *parsed > kMaxLedgerLimit) {
      return ErrorResponse(
          domain::ErrorCode::kInvalidRequest,
          "'limit' must be an integer between 1 and " + std::to_string(kMaxLedgerLimit));
    }
    limit = static_cast<int>(*parsed);
  }
  return ListOf(ctx.services.user_queries.WalletEntries(*user, limit));
}

}  // namespace boxoffice::http::handlers
