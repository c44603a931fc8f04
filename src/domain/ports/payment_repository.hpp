#pragma once

#include <optional>
#include <span>
#include <vector>

#include "domain/model/reservation.hpp"

namespace boxoffice::domain {

class PaymentRepository {
 public:
  virtual ~PaymentRepository() = default;
  // Inserts the payment (id ignored). A reservation has at most one SUCCESS payment: a second
  // insert for it fails with a uniqueness violation, reported as std::nullopt.
  virtual std::optional<Payment> Create(const Payment& payment, Instant now) = 0;
  // Create for each of `payments`, in order (PayReservation::ExecuteTogether); nullopt when
  // any reservation has a payment already (the transaction must be rolled back). The default
  // creates them one at a time; an adapter may insert them in one statement.
  virtual std::optional<std::vector<Payment>> CreateAll(std::span<const Payment> payments,
                                                        Instant now) {
    std::vector<Payment> out;
    out.reserve(payments.size());
    for (const auto& payment : payments) {
      auto created = Create(payment, now);
      if (!created) return std::nullopt;
      out.push_back(*std::move(created));
    }
    return out;
  }
  virtual std::optional<Payment> FindByReservation(ReservationId id) = 0;
  // Newest first.
  virtual std::vector<Payment> ListByUser(UserId user) = 0;
};

}  // namespace boxoffice::domain
