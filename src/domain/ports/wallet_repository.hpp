#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/model/wallet.hpp"

namespace boxoffice::domain {

// One wallet's part of WalletRepository::CreditAll or DebitAll.
struct WalletAmount {
  UserId user;
  Money amount;
};

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

  // The forms below serve several users' requests in one transaction (ChargeWallet::
  // ExecuteTogether, CreateUser::ExecuteTogether). Their defaults call the forms above one at
  // a time; an adapter may send each as one statement for all.
  //
  // Create for each of `users`.
  virtual void CreateAll(std::span<const UserId> users, Instant now) {
    for (UserId user : users) Create(user, now);
  }
  // Credit for each of `credits`, whose users are distinct. True when every wallet changed;
  // false when any did not (no wallet, or past max_balance): which did is not told, and the
  // transaction must be rolled back.
  virtual bool CreditAll(std::span<const WalletAmount> credits, Money max_balance, Instant now) {
    for (const auto& credit : credits) {
      if (!Credit(credit.user, credit.amount, max_balance, now)) return false;
    }
    return true;
  }
  // Debit for each of `debits`, whose users are distinct. True when every wallet changed;
  // false when any did not (no wallet, or too little in it): the transaction must be rolled
  // back.
  virtual bool DebitAll(std::span<const WalletAmount> debits, Instant now) {
    for (const auto& debit : debits) {
      if (!Debit(debit.user, debit.amount, now)) return false;
    }
    return true;
  }
  // AppendEntry for each of `entries`: their ids, in order; nullopt when any key is on the
  // ledger already (the transaction must be rolled back).
  virtual std::optional<std::vector<std::int64_t>> AppendEntries(
      std::span<const WalletEntry> entries) {
    std::vector<std::int64_t> ids;
    ids.reserve(entries.size());
    for (const auto& entry : entries) {
      auto id = AppendEntry(entry);
      if (!id) return std::nullopt;
      ids.push_back(*id);
    }
    return ids;
  }
  // AddEntry for each of `entries`. False when any key is on the ledger already: the
  // transaction must be rolled back.
  virtual bool AddEntries(std::span<const WalletEntry> entries) {
    for (const auto& entry : entries) {
      if (!AddEntry(entry)) return false;
    }
    return true;
  }
  // The balance of each of `users`, in their order; nullopt where there is no wallet.
  virtual std::vector<std::optional<Money>> Balances(std::span<const UserId> users) {
    std::vector<std::optional<Money>> out;
    out.reserve(users.size());
    for (UserId user : users) out.push_back(Balance(user));
    return out;
  }

  virtual std::optional<WalletEntry> FindEntryByKey(UserId user, const std::string& key) = 0;
  // Newest first, at most `limit`.
  virtual std::vector<WalletEntry> ListEntries(UserId user, int limit) = 0;
  virtual Money LedgerSum(UserId user) = 0;
};

}  // namespace boxoffice::domain
