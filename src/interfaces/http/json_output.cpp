#include "interfaces/http/json_output.hpp"

#include <boost/json/array.hpp>
#include <charconv>

#include "domain/model/names.hpp"
#include "interfaces/http/time_format.hpp"

namespace boxoffice::http {

boost::json::object ToJson(const application::QueueStatusView& view) {
  boost::json::object out;
  out["status"] = domain::Name(view.state);
  out["position"] = view.position;
  if (view.estimated_wait_seconds) {
    out["estimatedWaitingTime"] = *view.estimated_wait_seconds;
  } else {
    out["estimatedWaitingTime"] = nullptr;
  }
  out["pollAfterMs"] = view.poll_after_ms;
  if (view.active_until) out["activeUntil"] = FormatTime(*view.active_until);
  return out;
}

boost::json::object ToJson(const domain::Concert& concert) {
  return {{"id", concert.id.value},
          {"title", concert.title},
          {"singer", concert.singer},
          {"description", concert.description}};
}

boost::json::object ToJson(const domain::ConcertEvent& e) {
  return {{"id", e.id.value},
          {"concertId", e.concert_id.value},
          {"venue", e.venue},
          {"startAt", FormatTime(e.start_at)},
          {"durationMinutes", e.duration_minutes},
          {"reservationStartAt", FormatTime(e.reservation_start_at)},
          {"reservationEndAt", FormatTime(e.reservation_end_at)},
          {"maxSeatCount", e.max_seat_count},
          {"availableSeatCount", e.available_seat_count}};
}

boost::json::object AvailableEventJson(const domain::ConcertEvent& e) {
  return {{"id", e.id.value},
          {"date", FormatTime(e.start_at)},
          {"venue", e.venue},
          {"availableSeatCount", e.available_seat_count},
          {"maxSeatCount", e.max_seat_count}};
}

namespace {

template <class Integer>
void AppendInteger(std::string& out, Integer value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

}  // namespace

void AppendJson(std::string& out, const domain::Seat& seat, bool with_status) {
  out += R"({"id":)";
  AppendInteger(out, seat.id.value);
  out += R"(,"seatNumber":)";
  AppendInteger(out, seat.seat_number);
  out += R"(,"price":)";
  AppendInteger(out, seat.price.won);
  if (with_status) {
    // State names are upper-case words: nothing in them needs escaping.
    out += R"(,"status":")";
    out += domain::Name(seat.state);
    out += '"';
  }
  out += '}';
}

boost::json::object ToJson(const domain::HeldSeat& seat) {
  return {{"id", seat.seat_id.value}, {"seatNumber", seat.seat_number}, {"price", seat.price.won}};
}

boost::json::object ToJson(const domain::Hold& hold) {
  boost::json::array seats;
  for (const auto& s : hold.seats) seats.push_back(ToJson(s));
  return {{"id", hold.id.value},
          {"expiresAt", FormatTime(hold.expires_at)},
          {"seats", std::move(seats)},
          {"totalAmount", hold.TotalAmount().won}};
}

boost::json::object ToJson(const domain::Reservation& r) {
  boost::json::array seats;
  for (const auto& s : r.seats) seats.push_back(ToJson(s));
  return {{"id", r.id.value},
          {"concertId", r.concert_id.value},
          {"concertEventId", r.event_id.value},
          {"occupationId", r.hold_id.value},
          {"status", domain::Name(r.status)},
          {"totalSeats", r.total_seats},
          {"totalAmount", r.total_amount.won},
          {"expiresAt", FormatTime(r.expires_at)},
          {"concertPerformanceStartAt", FormatTime(r.concert_start_at)},
          {"createdAt", FormatTime(r.created_at)},
          {"seats", std::move(seats)}};
}

boost::json::object ToJson(const domain::Payment& p) {
  return {{"id", p.id.value},
          {"reservationId", p.reservation_id.value},
          {"amount", p.amount.won},
          {"status", domain::Name(p.status)},
          {"paidAt", FormatTime(p.paid_at)}};
}

boost::json::object ToJson(const domain::WalletEntry& e) {
  return {{"id", e.id},
          {"type", domain::Name(e.type)},
          {"amount", e.amount.won},
          {"createdAt", FormatTime(e.created_at)}};
}

boost::json::object ToJson(const domain::Policies& p) {
  return {{"holdTtlSeconds", p.hold_ttl_seconds},
          {"admitBatch", p.admit_batch},
          {"admitIntervalMs", p.admit_interval_ms},
          {"maxActive", p.max_active},
          {"activeIdleTtlSeconds", p.active_idle_ttl_seconds},
          {"waitingGraceSeconds", p.waiting_grace_seconds},
          {"maxSeatsPerHold", p.max_seats_per_hold}};
}

boost::json::object ToJson(const domain::QueueStats& s) {
  return {{"waiting", s.waiting},
          {"active", s.active},
          {"admittedTotal", s.admitted_total},
          {"admissionRatePerSecond", s.admission_rate_per_second}};
}

}  // namespace boxoffice::http
