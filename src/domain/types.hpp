#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>

namespace boxoffice::domain {

// A typed integer identifier: a SeatId cannot be passed where a UserId is expected.
template <class Tag>
struct Id {
  std::int64_t value = 0;
  friend auto operator<=>(const Id&, const Id&) = default;
};

using UserId = Id<struct UserTag>;
using ConcertId = Id<struct ConcertTag>;
using EventId = Id<struct EventTag>;  // a concert date ("concert event")
using SeatId = Id<struct SeatTag>;
using HoldId = Id<struct HoldTag>;  // an "occupation" in the API
using ReservationId = Id<struct ReservationTag>;
using PaymentId = Id<struct PaymentTag>;

// Money in integer won. Arithmetic is explicit so amounts never mix with counts by accident.
struct Money {
  std::int64_t won = 0;
  friend auto operator<=>(const Money&, const Money&) = default;
  friend Money operator+(Money a, Money b) { return {a.won + b.won}; }
  friend Money operator-(Money a, Money b) { return {a.won - b.won}; }
  friend Money operator*(Money a, std::int64_t n) { return {a.won * n}; }
};

// The largest amount one charge may add, and the largest balance a wallet may hold.
inline constexpr Money kMaxChargeAmount{100'000'000};
inline constexpr Money kMaxWalletBalance{1'000'000'000'000};

using Instant = std::chrono::sys_time<std::chrono::milliseconds>;
using Duration = std::chrono::milliseconds;

}  // namespace boxoffice::domain

template <class Tag>
struct std::hash<boxoffice::domain::Id<Tag>> {
  std::size_t operator()(const boxoffice::domain::Id<Tag>& id) const noexcept {
    return std::hash<std::int64_t>{}(id.value);
  }
};
