#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/types.hpp"

namespace boxoffice::domain {

enum class WalletEntryType { kCharge, kUse, kRefund };

// One ledger row. amount is signed: charges and refunds positive, uses negative.
// The wallet balance always equals the sum of its entries.
struct WalletEntry {
  std::int64_t id = 0;
  UserId user_id;
  WalletEntryType type = WalletEntryType::kCharge;
  Money amount;
  std::optional<std::string> idempotency_key;
  Instant created_at;
};

}  // namespace boxoffice::domain
