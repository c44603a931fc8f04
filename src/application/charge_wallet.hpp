#pragma once

#include <optional>
#include <string>

#include "domain/ports/clock.hpp"
#include "domain/ports/store.hpp"
#include "domain/result.hpp"

namespace boxoffice::application {

struct ChargeWalletCommand {
  domain::UserId user_id;
  domain::Money amount;
  std::optional<std::string> idempotency_key;  // stored on the ledger row; a repeat is a no-op
};

// Adds money to the wallet with a ledger row in one transaction. invalid_amount unless
// 1..kMaxChargeAmount; wallet_limit_exceeded past kMaxWalletBalance; user_not_found.
// Returns the balance after the charge.
class ChargeWallet {
 public:
  ChargeWallet(domain::Database& db, const domain::Clock& clock);
  domain::Result<domain::Money> Execute(const ChargeWalletCommand& cmd);

 private:
  domain::Database& db_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
