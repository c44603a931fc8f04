#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/json_input.hpp"
#include "interfaces/http/json_output.hpp"

namespace boxoffice::http::handlers {

namespace {

// The reservation `ctx` asks for, or the error to answer.
domain::Result<application::ReserveSeatsCommand> ReadReserve(const RequestContext& ctx) {
  auto who = RequireActive(ctx);
  if (!who) return who.error();
  auto body = BodyObject(ctx);
  if (!body) return body.error();
  if (auto r = RejectUnknownFields(*body, {"occupationId"}); !r) return r.error();
  auto hold = RequiredInt(*body, "occupationId", 1, kInt64Max);
  if (!hold) return hold.error();
  return application::ReserveSeatsCommand{.who = *who,
                                          .event_id = domain::EventId{ctx.params.Get("eventId")},
                                          .hold_id = domain::HoldId{*hold}};
}

Response Reserved(Metrics& metrics, const domain::Reservation& reservation) {
  metrics.ReservationCreated();
  return DataResponse(ToJson(reservation), 201);
}

}  // namespace

Outcome ReserveSeats(RequestContext& ctx) {
  auto command = ReadReserve(ctx);
  if (!command) return ErrorResponse(command.error());
  auto reservation = ctx.services.reserve_seats.Execute(*command);
  if (!reservation) return ErrorResponse(reservation.error());
  return Reserved(ctx.metrics, *reservation);
}

bool ReserveSeatsAsync(RequestContext& ctx, Reply reply) {
  // Without the server's check of the queue token, RequireActive would ask the waiting room
  // here, on the I/O thread.
  if (ctx.batches == nullptr || ctx.active == nullptr) return false;
  auto command = ReadReserve(ctx);
  if (!command) {
    reply(nullptr, ErrorResponse(command.error()));
    return true;
  }
  ctx.batches->reservations.Add({.command = *std::move(command), .reply = std::move(reply)});
  return true;
}

void RunReserveBatch(Services& services, Metrics& metrics, std::vector<BatchedReservation>& batch) {
  std::vector<application::ReserveSeatsCommand> commands;
  commands.reserve(batch.size());
  for (const auto& item : batch) commands.push_back(item.command);
  AnswerBatch(
      "reservations", batch, [&] { return services.reserve_seats.ExecuteTogether(commands); },
      [&](const domain::Reservation& reservation) { return Reserved(metrics, reservation); });
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
