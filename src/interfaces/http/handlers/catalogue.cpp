#include <boost/json/array.hpp>
#include <vector>

#include "interfaces/http/handlers/common.hpp"
#include "interfaces/http/handlers/handlers.hpp"
#include "interfaces/http/json_output.hpp"

namespace boxoffice::http::handlers {
namespace {

Outcome Seats(RequestContext& ctx, bool only_available) {
  auto who = RequireActive(ctx);
  if (!who) return ErrorResponse(who.error());
  auto seats = ctx.services.list_seats.Execute(
      *who,
      {.event_id = domain::EventId{ctx.params.Get("eventId")}, .only_available = only_available});
  if (!seats) return ErrorResponse(seats.error());
  // About 48 bytes a seat: {"id":12345,"seatNumber":678,"price":150000} and its comma.
  return ListResponse(seats->size(), 48, [&](std::string& body, std::size_t i) {
    AppendJson(body, (*seats)[i], !only_available);
  });
}

Response ConcertsResponse(const std::vector<domain::Concert>& concerts) {
  boost::json::array list;
  list.reserve(concerts.size());
  for (const auto& concert : concerts) list.push_back(ToJson(concert));
  return ListResponse(std::move(list));
}

}  // namespace

Outcome ListConcerts(RequestContext& ctx) {
  auto concerts = ctx.services.list_concerts.Execute();
  if (!concerts) return ErrorResponse(concerts.error());
  return ConcertsResponse(*concerts);
}

bool ListConcertsAsync(RequestContext& ctx, Reply reply) {
  auto concerts = ctx.services.list_concerts.TryCached();
  if (!concerts) return false;
  reply(nullptr, ConcertsResponse(*concerts));
  return true;
}

Outcome AvailableEvents(RequestContext& ctx) {
  auto who = RequireActive(ctx);
  if (!who) return ErrorResponse(who.error());
  auto events = ctx.services.list_available_events.Execute(
      *who, domain::ConcertId{ctx.params.Get("concertId")});
  if (!events) return ErrorResponse(events.error());
  boost::json::array list;
  list.reserve(events->size());
  for (const auto& event : *events) list.push_back(AvailableEventJson(event));
  return ListResponse(std::move(list));
}

Outcome ListSeats(RequestContext& ctx) { return Seats(ctx, false); }

Outcome AvailableSeats(RequestContext& ctx) { return Seats(ctx, true); }

}  // namespace boxoffice::http::handlers
