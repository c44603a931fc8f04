#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/json_input.hpp"
#include "interfaces/http/json_output.hpp"

namespace boxoffice::http::handlers {

Outcome Pay(RequestContext& ctx) {
  auto body = BodyObject(ctx);
  if (!body) return ErrorResponse(body.error());
  if (auto r = RejectUnknownFields(*body, {"reservationId"}); !r) return ErrorResponse(r.error());
  auto reservation = RequiredInt(*body, "reservationId", 1, kInt64Max);
  if (!reservation) return ErrorResponse(reservation.error());
  auto who = RequireActive(ctx);
  if (!who) {
    // Paying frees the payer's queue slot, so a retry of a payment that succeeded finds the
    // token no longer admitted; it must still get the first answer.
    auto token = ctx.request.Header("User-Token");
    auto user = token ? ctx.services.queue_access.Identify(*token) : who.error();
    if (user) {
      if (auto replay = StoredReplay(ctx, *user, "payments", *body)) return *replay;
    }
    return ErrorResponse(who.error());
  }

  const application::ActiveUser active = *who;
  const domain::ReservationId reservation_id{*reservation};
  using application::PaidReservation;
  return RunIdempotent<PaidReservation>(
      ctx, active.user_id, "payments", *body,
      [&](const application::TransactionHooks<PaidReservation>& hooks) {
        return ctx.services.pay_reservation.Execute(
            {.who = active, .reservation_id = reservation_id}, hooks);
      },
      [](const PaidReservation& paid) { return DataResponse(ToJson(paid.payment), 201); },
      [&](const PaidReservation& paid) { ctx.metrics.PaymentCompleted(paid.seat_count); });
}

}  // namespace boxoffice::http::handlers
