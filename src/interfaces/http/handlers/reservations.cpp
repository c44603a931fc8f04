#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/json_input.hpp"
#include "interfaces/http/json_output.hpp"

namespace boxoffice::http::handlers {

Outcome ReserveSeats(RequestContext& ctx) {
  auto who = RequireActive(ctx);
  if (!who) return ErrorResponse(who.error());
  auto body = BodyObject(ctx);
  if (!body) return ErrorResponse(body.error());
  if (auto r = RejectUnknownFields(*body, {"occupationId"}); !r) return ErrorResponse(r.error());
  auto hold = RequiredInt(*body, "occupationId", 1, kInt64Max);
  if (!hold) return ErrorResponse(hold.error());

  auto reservation =
      ctx.services.reserve_seats.Execute({.who = *who,
                                          .event_id = domain::EventId{ctx.params.Get("eventId")},
                                          .hold_id = domain::HoldId{*hold}});
  if (!reservation) return ErrorResponse(reservation.error());
  ctx.metrics.ReservationCreated();
  return DataResponse(ToJson(*reservation), 201);
}

Outcome CancelReservation(RequestContext& ctx) {
  auto user = RequireUser(ctx);
  if (!user) return ErrorResponse(user.error());
  auto cancelled = ctx.services.cancel_reservation.Execute(
      {.user_id = *user, .reservation_id = domain::ReservationId{ctx.params.Get("reservationId")}});
  if (!cancelled) return ErrorResponse(cancelled.error());
  return DataResponse(ToJson(*cancelled));
}

}  // namespace boxoffice::http::handlers
