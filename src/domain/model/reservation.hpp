#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/model/hold.hpp"
#include "domain/types.hpp"

namespace boxoffice::domain {

enum class ReservationStatus { kPending, kConfirmed, kPaymentFailed, kExpired, kCancelled };

struct Reservation {
  ReservationId id;
  UserId user_id;
  ConcertId concert_id;
  EventId event_id;
  HoldId hold_id;
  ReservationStatus status = ReservationStatus::kPending;
  std::int32_t total_seats = 0;
  Money total_amount;
  Instant expires_at;  // the hold's deadline: pay before it or the seats go back on sale
  Instant concert_start_at;
  Instant created_at;
  std::vector<HeldSeat> seats;

  bool IsPayableAt(Instant now) const {
    return status == ReservationStatus::kPending && now < expires_at;
  }
};

enum class PaymentStatus { kSuccess, kFailed };

struct Payment {
  PaymentId id;
  UserId user_id;
  ReservationId reservation_id;
  std::int64_t wallet_entry_id = 0;  // the ledger row of the debit ("transaction_id")
  Money amount;
  PaymentStatus status = PaymentStatus::kSuccess;
  Instant paid_at;
};

}  // namespace boxoffice::domain
