#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "domain/types.hpp"

namespace boxoffice::domain {

// Domain events, written to the outbox in the transaction that caused them.
struct PaymentCompleted {
  PaymentId payment_id;
  ReservationId reservation_id;
  UserId user_id;
  ConcertId concert_id;
  EventId event_id;
  Money amount;
  std::int32_t seat_count = 0;
  Instant paid_at;
  // The generation of the queue place the payment was made from (the queue token's), so that
  // freeing the place can leave that place only. Absent in events written before it was kept.
  std::optional<std::int32_t> queue_generation;
};

struct ReservationCancelled {
  ReservationId reservation_id;
  UserId user_id;
  ConcertId concert_id;
  Instant cancelled_at;
};

using DomainEvent = std::variant<PaymentCompleted, ReservationCancelled>;

// Name used on the wire ("PaymentCompleted") and the partition key (the reservation id).
std::string EventType(const DomainEvent& e);
std::string EventKey(const DomainEvent& e);

struct OutboxRecord {
  std::int64_t id = 0;
  DomainEvent event;
  Instant created_at;
  std::int32_t attempts = 0;
};

}  // namespace boxoffice::domain
