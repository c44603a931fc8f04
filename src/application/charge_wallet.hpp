#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

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

  // One charge of ExecuteTogether: its command and its Idempotency-Key request.
  struct Together {
    ChargeWalletCommand command;
    IdempotentRequest request;
  };
  // Several first requests charged in ONE transaction: every wallet's credit, ledger entry and
  // Idempotency-Key record (holding `respond` of its new balance), with statements the adapter
  // may share between them. For charges arriving together at an opening, where each alone costs
  // the database several statements and a commit (ADR 0021).
  // Returns each charge's response, in order, when the transaction committed. Returns nullopt
  // when it did not: an invalid amount, a user twice, a missing wallet, a balance past its
  // limit, a ledger key or Idempotency-Key seen before, the database unavailable. Nothing is
  // then written, and each charge must run alone (Execute through IdempotencyGuard::Run), which
  // answers it exactly as it would have been answered had it never been tried here.
  std::optional<std::vector<StoredResponse>> ExecuteTogether(
      std::span<const Together> charges,
      const std::function<StoredResponse(domain::Money)>& respond);

 private:
  enum class ChargeOutcome {
    kDone,      // charged, or refused for a reason of its own
    kKeySeen,   // the ledger has the key: run again, looking it up first
    kLostRace,  // looked up and absent, then a concurrent charge with the key committed first
  };
  // The charge itself, in the caller's transaction. With `look_up`, the ledger key is looked up
  // first and an entry found with it is answered as a replay.
  static domain::Result<domain::Money> Charge(domain::Store& store, const ChargeWalletCommand& cmd,
                                              domain::Instant now, bool look_up,
                                              ChargeOutcome& outcome);

  domain::Database& db_;
  const domain::Clock& clock_;
};

}  // namespace boxoffice::application
