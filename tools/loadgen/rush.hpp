#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latency_histogram.hpp"
#include "options.hpp"

namespace boxoffice::loadgen {

// The funnel's requests, in the order a user meets them.
enum class Step {
  kSignup,
  kToken,
  kStatus,
  kDates,
  kSeats,
  kHold,
  kReserve,
  kCharge,
  kPay,
  kLeave
};
inline constexpr std::array<std::string_view, 10> kStepNames = {
    "signup", "token", "status", "dates", "seats", "hold", "reserve", "charge", "pay", "leave"};
inline constexpr std::size_t kStepCount = kStepNames.size();

// How each virtual user's visit ended.
enum class Outcome { kPurchased, kSoldOut, kGaveUp, kFailed, kTimedOut, kNotStarted };
inline constexpr std::array<std::string_view, 6> kOutcomeNames = {
    "purchased", "sold_out", "gave_up", "failed", "timed_out", "not_started"};

// The checks made through the API after the rush (both profiles: nothing reads the database).
struct InvariantReport {
  bool checked = false;          // false: the checks could not run (see problems)
  bool seats_sold_once = false;  // no seat in two confirmed reservations
  bool wallets_match_ledgers = false;
  bool sold_seats_match_payments = false;  // RESERVED seats on the map == seats of SUCCESS payments
  bool tool_agrees = false;                // the seats the users were told they bought == the same
  std::int64_t users_checked = 0;
  std::int64_t seats_reserved_on_map = 0;
  std::int64_t seats_held_on_map = 0;
  std::int64_t seats_in_success_payments = 0;
  std::int64_t seats_bought_by_users = 0;
  std::int64_t seats_sold_twice = 0;
  std::int64_t wallet_mismatches = 0;
  std::vector<std::string> problems;  // the first few, for a person to read

  bool Ok() const {
    return checked && seats_sold_once && wallets_match_ledgers && sold_seats_match_payments &&
           tool_agrees;
  }
};

struct RushReport {
  int users = 0;
  double arrival_seconds = 0;
  std::string arrival = "uniform";
  int threads = 1;
  int connections = 0;
  std::int64_t concert_id = 0;
  std::vector<std::int64_t> event_ids;
  std::int64_t seats_on_sale = 0;  // available when the rush started

  double wall_s = 0;  // first arrival to the last user's end
  std::int64_t funnel_requests = 0;
  std::int64_t purchases = 0;  // successful payments
  std::int64_t seats_bought = 0;
  std::optional<double> sell_out_s;  // first arrival to the payment of the last seat on sale

  std::optional<double> fairness_spearman;           // arrival vs consistent admission order
  std::optional<double> fairness_spearman_observed;  // arrival vs first ACTIVE answer, raw
  std::int64_t provable_overtakes = 0;
  std::int64_t fairness_users = 0;
  std::string arrival_order_source;  // "server_sequence" or "request_sent"

  // Per step, as the user waits: from asking (including the wait for one of the client's
  // --connections) to the whole answer; and on the wire only (sent to answered).
  std::array<LatencyHistogram, kStepCount> steps;
  std::array<LatencyHistogram, kStepCount> wire;
  std::map<std::string, std::int64_t> failures;  // "409 insufficient_balance", "transport ..."
  std::int64_t expected_conflicts = 0;           // 409 seat_unavailable on hold
  std::array<std::int64_t, kOutcomeNames.size()> outcomes{};
  bool deadline_hit = false;

  InvariantReport invariants;
  std::string fatal;           // setup or the server unusable: nothing else is meaningful
  std::string policy_problem;  // the admission policy could not be put back after the rush
};

// Sets up (unless --no-setup), runs the rush, checks the invariants. Never throws for anything
// the server does; a setup failure is reported in `fatal`.
RushReport RunRush(const Options& options);

}  // namespace boxoffice::loadgen
