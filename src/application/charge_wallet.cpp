#include "application/charge_wallet.hpp"

#include <unordered_set>

#include "application/together.hpp"
#include "domain/errors.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Money;
using domain::Result;

ChargeWallet::ChargeWallet(domain::Database& db, const domain::Clock& clock)
    : db_(db), clock_(clock) {}

Result<Money> ChargeWallet::Execute(const ChargeWalletCommand& cmd,
                                    const TransactionHooks<Money>& hooks) {
  if (cmd.amount <= Money{0} || cmd.amount > domain::kMaxChargeAmount) {
    return Fail(ErrorCode::kInvalidAmount,
                "amount must be 1 to " + std::to_string(domain::kMaxChargeAmount.won));
  }
  const auto now = clock_.Now();
  // The ledger key is not looked up first: a key charged before is rare, and the ledger's unique
  // key finds it anyway. When it does, the transaction rolls back and runs once more with the
  // key looked up at its start.
  ChargeOutcome outcome = ChargeOutcome::kDone;
  auto charge = [&](bool look_up) {
    return db_.Write([&](domain::Store& store) -> Result<Money> {
      outcome = ChargeOutcome::kDone;
      if (hooks.at_start) {
        if (auto started = hooks.at_start(store); !started) return started.error();
      }
      auto balance = Charge(store, cmd, now, look_up, outcome);
      if (!balance || !hooks.before_commit) return balance;
      if (auto hooked = hooks.before_commit(store, *balance); !hooked) return hooked.error();
      return balance;
    });
  };
  auto charged = charge(/*look_up=*/false);
  if (outcome == ChargeOutcome::kKeySeen) charged = charge(/*look_up=*/true);
  if (charged || outcome != ChargeOutcome::kLostRace) return charged;
  return db_.Read([&](domain::Store& store) -> Result<Money> {
    auto balance = store.Wallets().Balance(cmd.user_id);
    if (!balance) return Fail(ErrorCode::kUserNotFound, "user not found");
    return *balance;
  });
}

std::optional<std::vector<StoredResponse>> ChargeWallet::ExecuteTogether(
    std::span<const Together> charges,
    const std::function<StoredResponse(domain::Money)>& respond) {
  std::vector<domain::WalletAmount> credits;
  std::vector<domain::WalletEntry> entries;
  std::vector<domain::UserId> users;
  std::unordered_set<std::int64_t> distinct;
  const auto now = clock_.Now();
  for (const auto& charge : charges) {
    const auto& cmd = charge.command;
    // Refusals and repeats are answered by the charge alone, which tells them apart.
    if (cmd.amount <= Money{0} || cmd.amount > domain::kMaxChargeAmount ||
        !IdempotencyGuard::ValidKey(charge.request.key) ||
        !distinct.insert(cmd.user_id.value).second) {
      return std::nullopt;
    }
    credits.push_back({cmd.user_id, cmd.amount});
    entries.push_back(domain::WalletEntry{0, cmd.user_id, domain::WalletEntryType::kCharge,
                                          cmd.amount, cmd.idempotency_key, now});
    users.push_back(cmd.user_id);
  }
  std::vector<StoredResponse> responses;
  const bool committed = CommitTogether(db_, [&](domain::Store& store) -> Result<void> {
    responses.clear();
    auto& wallets = store.Wallets();
    if (!wallets.CreditAll(credits, domain::kMaxWalletBalance, now) ||
        !wallets.AddEntries(entries)) {
      // Which one is not told: each charge alone finds out (the limit, or a repeat).
      return Fail(ErrorCode::kWalletLimitExceeded, "a charge of the batch was refused");
    }
    const auto balances = wallets.Balances(users);
    for (std::size_t i = 0; i < charges.size(); ++i) {
      if (!balances[i]) return Fail(ErrorCode::kUserNotFound, "user not found");
      responses.push_back(respond(*balances[i]));
      IdempotencyGuard::RecordLast(store, charges[i].request, responses.back(), now);
    }
    return {};
  });
  if (!committed) return std::nullopt;
  return responses;
}

Result<Money> ChargeWallet::Charge(domain::Store& store, const ChargeWalletCommand& cmd,
                                   domain::Instant now, bool look_up, ChargeOutcome& outcome) {
  auto& wallets = store.Wallets();
  if (auto earlier = cmd.idempotency_key && look_up
                         ? wallets.FindEntryByKey(cmd.user_id, *cmd.idempotency_key)
                         : std::nullopt) {
    // Ledger keys outlive the 24 h replay window of the HTTP layer: a key reused later for
    // another amount must not be answered as if it had been charged.
    if (earlier->amount != cmd.amount) {
      return Fail(ErrorCode::kIdempotencyKeyReused, "this key charged another amount");
    }
    auto balance = wallets.Balance(cmd.user_id);
    if (!balance) return Fail(ErrorCode::kUserNotFound, "user not found");
    return *balance;
  }
  if (!wallets.Credit(cmd.user_id, cmd.amount, domain::kMaxWalletBalance, now)) {
    // No row changed: there is no such wallet, or the charge would pass the limit. Only this
    // refusal asks which, so a charge that goes through costs one statement less.
    if (!wallets.Balance(cmd.user_id)) return Fail(ErrorCode::kUserNotFound, "user not found");
    return Fail(ErrorCode::kWalletLimitExceeded, "the balance would exceed the wallet limit");
  }
  if (!wallets.AddEntry(domain::WalletEntry{0, cmd.user_id, domain::WalletEntryType::kCharge,
                                            cmd.amount, cmd.idempotency_key, now})) {
    // The key is on the ledger already: undo our credit. Without a lookup this run, run again
    // with one; after it, a concurrent charge with the same key committed in between, and the
    // answer is the balance that charge produced, as a replay's would be.
    outcome = look_up ? ChargeOutcome::kLostRace : ChargeOutcome::kKeySeen;
    return Fail(ErrorCode::kIdempotencyInProgress, "charge with this key already applied");
  }
  auto balance = wallets.Balance(cmd.user_id);
  if (!balance) return Fail(ErrorCode::kUserNotFound, "user not found");
  return *balance;
}

}  // namespace boxoffice::application
