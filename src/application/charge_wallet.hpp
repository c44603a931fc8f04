#pragma once

#include <optional>
#include <string>

#include "application/idempotency_guard.hpp"
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
// Returns the balance after the charge. `hooks` run inside the charge's transaction (the
// Idempotency-Key record, see IdempotencyGuard::Run).
class ChargeWallet {
 public:
  ChargeWallet(domain::Database& db, const domain::Clock& clock);
  domain::Result<domain::Money> Execute(const ChargeWalletCommand& cmd,
                                        const TransactionHooks<domain::Money>& hooks = {});

 private:
  // The charge itself, in the caller's transaction. `lost_race` is set when a concurrent charge
  // with the same key committed its ledger row first.
  static domain::Result<domain::Money> Charge(domain::Store& store, const ChargeWalletCommand& cmd,
                                              domain::Instant now, bool& lost_race);

  domain::Database& db_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
