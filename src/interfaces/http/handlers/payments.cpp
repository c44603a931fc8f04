#include <string_view>

#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/json_input.hpp"
#include "interfaces/http/json_output.hpp"

namespace boxoffice::http::handlers {

namespace {

constexpr std::string_view kPaymentScope = "payments";

// The reservation a payment's body names, or the error to answer.
domain::Result<domain::ReservationId> ReadPayment(const RequestContext& ctx,
                                                  boost::json::object& body) {
  auto parsed = BodyObject(ctx);
  if (!parsed) return parsed.error();
  if (auto r = RejectUnknownFields(*parsed, {"reservationId"}); !r) return r.error();
  auto reservation = RequiredInt(*parsed, "reservationId", 1, kInt64Max);
  if (!reservation) return reservation.error();
  body = *std::move(parsed);
  return domain::ReservationId{*reservation};
}

Response Paid(const domain::Payment& payment) { return DataResponse(ToJson(payment), 201); }

}  // namespace

Outcome Pay(RequestContext& ctx) {
  boost::json::object body;
  auto reservation = ReadPayment(ctx, body);
  if (!reservation) return ErrorResponse(reservation.error());
  auto who = RequireActive(ctx);
  if (!who) {
    // Paying frees the payer's queue slot, so a retry of a payment that succeeded finds the
    // token no longer admitted; it must still get the first answer.
    auto token = ctx.request.Header("User-Token");
    auto user = token ? ctx.services.queue_access.Identify(*token) : who.error();
    if (user) {
      if (auto replay = StoredReplay(ctx, *user, kPaymentScope, body)) return *replay;
    }
    return ErrorResponse(who.error());
  }

  const application::ActiveUser active = *who;
  const domain::ReservationId reservation_id = *reservation;
  using application::PaidReservation;
  return RunIdempotent<PaidReservation>(
      ctx, active.user_id, kPaymentScope, body,
      [&](const application::TransactionHooks<PaidReservation>& hooks) {
        return ctx.services.pay_reservation.Execute(
            {.who = active, .reservation_id = reservation_id}, hooks);
      },
      [](const PaidReservation& paid) { return Paid(paid.payment); },
      [&](const PaidReservation& paid) { ctx.metrics.PaymentCompleted(paid.seat_count); });
}

bool PayAsync(RequestContext& ctx, Reply reply) {
  // A payer the server could not find admitted here is served by Pay, which may answer from a
  // stored response (a database read: not on the I/O thread).
  if (ctx.batches == nullptr || ctx.active == nullptr || !*ctx.active) return false;
  boost::json::object body;
  auto reservation = ReadPayment(ctx, body);
  if (!reservation) {
    reply(nullptr, ErrorResponse(reservation.error()));
    return true;
  }
  const application::ActiveUser& who = **ctx.active;
  auto request = IdempotentRequestOf(ctx, who.user_id, kPaymentScope, body);
  if (!request) {
    reply(nullptr, ErrorResponse(request.error()));
    return true;
  }
  ctx.batches->payments.Add({.payment = {.command = {.who = who, .reservation_id = *reservation},
                                         .request = *std::move(request)},
                             .reply = std::move(reply)});
  return true;
}

void RunPayBatch(Services& services, Metrics& metrics, std::vector<BatchedPayment>& batch) {
  std::vector<application::PayReservation::Together> payments;
  payments.reserve(batch.size());
  for (const auto& item : batch) payments.push_back(item.payment);
  AnswerBatch(
      "payments", batch,
      [&] {
        return services.pay_reservation.ExecuteTogether(
            payments, [](const application::PaidReservation& done) -> application::StoredResponse {
              Response built = Paid(done.payment);
              return {built.status, std::move(built.body)};
            });
      },
      [&](application::PayReservation::PaidTogether& done) {
        metrics.PaymentCompleted(done.paid.seat_count);
        return Response{.status = done.response.status, .body = std::move(done.response.body)};
      });
}

}  // namespace boxoffice::http::handlers
