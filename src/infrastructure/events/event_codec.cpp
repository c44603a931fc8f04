#include "infrastructure/events/event_codec.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>

namespace boxoffice::infra {
namespace {

namespace json = boost::json;

std::int64_t ToMs(domain::Instant t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

domain::Instant FromMs(std::int64_t ms) { return domain::Instant{std::chrono::milliseconds(ms)}; }

}  // namespace

std::string EncodeEventPayload(const domain::DomainEvent& event) {
  json::object o;
  if (const auto* p = std::get_if<domain::PaymentCompleted>(&event)) {
    o["paymentId"] = p->payment_id.value;
    o["reservationId"] = p->reservation_id.value;
    o["userId"] = p->user_id.value;
    o["concertId"] = p->concert_id.value;
    o["eventId"] = p->event_id.value;
    o["amount"] = p->amount.won;
    o["seatCount"] = p->seat_count;
    o["paidAt"] = ToMs(p->paid_at);
    if (p->queue_generation) o["queueGeneration"] = *p->queue_generation;
  } else if (const auto* c = std::get_if<domain::ReservationCancelled>(&event)) {
    o["reservationId"] = c->reservation_id.value;
    o["userId"] = c->user_id.value;
    o["concertId"] = c->concert_id.value;
    o["cancelledAt"] = ToMs(c->cancelled_at);
  }
  return json::serialize(o);
}

std::optional<domain::DomainEvent> DecodeEventPayload(std::string_view type,
                                                      std::string_view payload) {
  json::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.get_object();
  auto field = [&](const char* name) { return o.at(name).to_number<std::int64_t>(); };
  try {
    if (type == "PaymentCompleted") {
      domain::PaymentCompleted paid{
          .payment_id = domain::PaymentId{field("paymentId")},
          .reservation_id = domain::ReservationId{field("reservationId")},
          .user_id = domain::UserId{field("userId")},
          .concert_id = domain::ConcertId{field("concertId")},
          .event_id = domain::EventId{field("eventId")},
          .amount = domain::Money{field("amount")},
          .seat_count = static_cast<std::int32_t>(field("seatCount")),
          .paid_at = FromMs(field("paidAt")),
      };
      // Absent in events written before it was kept.
      if (o.contains("queueGeneration")) {
        paid.queue_generation = static_cast<std::int32_t>(field("queueGeneration"));
      }
      return paid;
    }
    if (type == "ReservationCancelled") {
      return domain::ReservationCancelled{
          .reservation_id = domain::ReservationId{field("reservationId")},
          .user_id = domain::UserId{field("userId")},
          .concert_id = domain::ConcertId{field("concertId")},
          .cancelled_at = FromMs(field("cancelledAt")),
      };
    }
  } catch (const std::exception&) {
    // A missing or non-numeric field: the row cannot be published.
  }
  return std::nullopt;
}

}  // namespace boxoffice::infra
