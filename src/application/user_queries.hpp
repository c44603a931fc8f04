#pragma once

#include <vector>

#include "domain/model/reservation.hpp"
#include "domain/model/wallet.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

// Read-only views of one user's own data. The caller has already checked that the
// authenticated user is `user`. user_not_found for unknown users.
class UserQueries {
 public:
  explicit UserQueries(domain::Database& db);
  domain::Result<domain::Money> Balance(domain::UserId user);
  domain::Result<std::vector<domain::WalletEntry>> WalletEntries(domain::UserId user, int limit);
  domain::Result<std::vector<domain::Payment>> Payments(domain::UserId user);
  domain::Result<std::vector<domain::Reservation>> Reservations(domain::UserId user);

 private:
  domain::Database& db_;
};

}  // namespace boxoffice::application
