#include "application/user_queries.hpp"

#include <algorithm>

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Result;

namespace {

constexpr int kMaxEntries = 1000;

Result<void> RequireUser(domain::Store& store, domain::UserId user) {
  if (!store.Wallets().Balance(user)) return Fail(ErrorCode::kUserNotFound, "user not found");
  return {};
}

}  // namespace

UserQueries::UserQueries(domain::Database& db) : db_(db) {}

Result<domain::Money> UserQueries::Balance(domain::UserId user) {
  return db_.Read([&](domain::Store& store) -> Result<domain::Money> {
    auto balance = store.Wallets().Balance(user);
    if (!balance) return Fail(ErrorCode::kUserNotFound, "user not found");
    return *balance;
  });
}

Result<std::vector<domain::WalletEntry>> UserQueries::WalletEntries(domain::UserId user,
                                                                    int limit) {
  const int bounded = std::clamp(limit, 1, kMaxEntries);
  return db_.Read([&](domain::Store& store) -> Result<std::vector<domain::WalletEntry>> {
    if (auto found = RequireUser(store, user); !found) return found.error();
    return store.Wallets().ListEntries(user, bounded);
  });
}

Result<std::vector<domain::Payment>> UserQueries::Payments(domain::UserId user) {
  return db_.Read([&](domain::Store& store) -> Result<std::vector<domain::Payment>> {
    if (auto found = RequireUser(store, user); !found) return found.error();
    return store.Payments().ListByUser(user);
  });
}

Result<std::vector<domain::Reservation>> UserQueries::Reservations(domain::UserId user) {
  return db_.Read([&](domain::Store& store) -> Result<std::vector<domain::Reservation>> {
    if (auto found = RequireUser(store, user); !found) return found.error();
    return store.Reservations().ListByUser(user);
  });
}

}  // namespace boxoffice::application
