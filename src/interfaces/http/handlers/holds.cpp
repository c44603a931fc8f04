#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/json_input.hpp"
#include "interfaces/http/json_output.hpp"

namespace boxoffice::http::handlers {
namespace {

// Bounds the request only; the policy's max_seats_per_hold (at most 100) is checked by the use
// case and answers too_many_seats.
constexpr std::size_t kMaxSeatIdsInRequest = 100;

domain::Result<std::vector<domain::SeatId>> SeatIds(const boost::json::object& body) {
  const bool has_list = body.contains("seatIds");
  const bool has_single = body.contains("seatId");
  if (has_list == has_single) {
    return domain::Fail(domain::ErrorCode::kInvalidRequest,
                        "send either 'seatIds' (a list) or 'seatId', not both");
  }
  std::vector<domain::SeatId> ids;
  if (has_single) {
    auto id = RequiredInt(body, "seatId", 1, kInt64Max);
    if (!id) return id.error();
    ids.push_back(domain::SeatId{*id});
    return ids;
  }
  auto list = RequiredIdArray(body, "seatIds", kMaxSeatIdsInRequest);
  if (!list) return list.error();
  for (auto id : *list) ids.push_back(domain::SeatId{id});
  return ids;
}

}  // namespace

Outcome OccupySeats(RequestContext& ctx) {
  auto who = RequireActive(ctx);
  if (!who) return ErrorResponse(who.error());
  auto body = BodyObject(ctx);
  if (!body) return ErrorResponse(body.error());
  if (auto r = RejectUnknownFields(*body, {"seatIds", "seatId"}); !r) {
    return ErrorResponse(r.error());
  }
  auto seat_ids = SeatIds(*body);
  if (!seat_ids) return ErrorResponse(seat_ids.error());

  auto hold =
      ctx.services.occupy_seats.Execute({.who = *who,
                                         .event_id = domain::EventId{ctx.params.Get("eventId")},
                                         .seat_ids = std::move(*seat_ids)});
  if (!hold) return ErrorResponse(hold.error());
  ctx.metrics.HoldCreated();
  return DataResponse(ToJson(*hold), 201);
}

Outcome ReleaseOccupation(RequestContext& ctx) {
  auto who = RequireActive(ctx);
  if (!who) return ErrorResponse(who.error());
  auto released = ctx.services.release_hold.Execute(
      {.who = *who, .hold_id = domain::HoldId{ctx.params.Get("occupationId")}});
  if (!released) return ErrorResponse(released.error());
  return NoContent();
}

}  // namespace boxoffice::http::handlers
