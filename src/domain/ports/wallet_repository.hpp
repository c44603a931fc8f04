#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/model/wallet.hpp"

namespace boxoffice::domain {

// Balances change only through these conditional statements, each paired by the caller with
// an AppendEntry in the same transaction.
class WalletRepository {
 public:
  virtual ~WalletRepository() = default;

  virtual void Create(UserId user, Instant now) = 0;
  virtual std::optional<Money> Balance(UserId user) = 0;
  // balance += amount where balance + amount <= max_balance. Returns whether it changed.
  virtual bool Credit(UserId user, Money amount, Money max_balance, Instant now) = 0;
  // balance -= amount where balance >= amount. Returns whether it changed.
  virtual bool Debit(UserId user, Money amount, Instant now) = 0;
  // Inserts a ledger row; returns its id. A second entry with the same (user, idempotency_key)
  // is refused with std::nullopt.
  virtual std::optional<std::int64_t> AppendEntry(const WalletEntry& entry) = 0;
  // AppendEntry for a caller that needs no id: the adapter may send the row with the
  // transaction's next statement. False when the key is on the ledger already.
  virtual bool AddEntry(const WalletEntry& entry) { return AppendEntry(entry).has_value(); }
  virtual std::optional<WalletEntry> FindEntryByKey(UserId user, const std::string& key) = 0;
  // Newest first, at most `limit`.
  virtual std::vector<WalletEntry> ListEntries(UserId user, int limit) = 0;
  virtual Money LedgerSum(UserId user) = 0;
};

}  // namespace boxoffice::domain
