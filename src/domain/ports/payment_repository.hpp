#pragma once

#include <optional>
#include <vector>

#include "domain/model/reservation.hpp"

namespace boxoffice::domain {

class PaymentRepository {
 public:
  virtual ~PaymentRepository() = default;
  // Inserts the payment (id ignored). A reservation has at most one SUCCESS payment: a second
  // insert for it fails with a uniqueness violation, reported as std::nullopt.
  virtual std::optional<Payment> Create(const Payment& payment, Instant now) = 0;
  virtual std::optional<Payment> FindByReservation(ReservationId id) = 0;
  // Newest first.
  virtual std::vector<Payment> ListByUser(UserId user) = 0;
};

}  // namespace boxoffice::domain
