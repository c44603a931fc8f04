#include <boost/json/array.hpp>

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

Outcome WalletCharge(RequestContext& ctx) {
  auto user = RequireSelf(ctx);
  if (!user) return ErrorResponse(user.error());
  auto body = BodyObject(ctx);
  if (!body) return ErrorResponse(body.error());
  if (auto r = RejectUnknownFields(*body, {"amount"}); !r) return ErrorResponse(r.error());
  auto amount = RequiredInt(*body, "amount", 1, domain::kMaxChargeAmount.won,
                            domain::ErrorCode::kInvalidAmount);
  if (!amount) return ErrorResponse(amount.error());

  const domain::UserId user_id = *user;
  const domain::Money money{*amount};
  const std::string key(ctx.request.Header("Idempotency-Key").value_or(""));
  return RunIdempotent<domain::Money>(
      ctx, user_id, "wallet.charge", *body,
      [&](const application::TransactionHooks<domain::Money>& hooks) {
        return ctx.services.charge_wallet.Execute(
            {.user_id = user_id, .amount = money, .idempotency_key = key}, hooks);
      },
      Balance);
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
