#include "report.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <sstream>

namespace boxoffice::loadgen {
namespace {

namespace json = boost::json;

double Ms(std::int64_t micros) { return static_cast<double>(micros) / 1000.0; }

json::value OrNull(const std::optional<double>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

std::string ReportJson(const RushReport& r) {
  json::object steps;
  for (std::size_t s = 0; s < kStepCount; ++s) {
    const auto& h = r.steps[s];
    const auto& w = r.wire[s];
    steps[kStepNames[s]] = json::object{{"count", h.Count()},
                                        {"p50_ms", Ms(h.Percentile(50))},
                                        {"p95_ms", Ms(h.Percentile(95))},
                                        {"p99_ms", Ms(h.Percentile(99))},
                                        {"max_ms", Ms(h.Max())},
                                        {"wire_p50_ms", Ms(w.Percentile(50))},
                                        {"wire_p95_ms", Ms(w.Percentile(95))},
                                        {"wire_p99_ms", Ms(w.Percentile(99))}};
  }
  json::object failures;
  for (const auto& [key, count] : r.failures) failures[key] = count;
  json::object outcomes;
  for (std::size_t i = 0; i < kOutcomeNames.size(); ++i) outcomes[kOutcomeNames[i]] = r.outcomes[i];
  const auto& inv = r.invariants;
  json::array problems;
  for (const auto& p : inv.problems) problems.push_back(json::value(p));
  json::array events;
  for (auto e : r.event_ids) events.push_back(e);

  json::object out{
      {"users", r.users},
      {"arrival_seconds", r.arrival_seconds},
      {"arrival", r.arrival},
      {"threads", r.threads},
      {"connections", r.connections},
      {"concert_id", r.concert_id},
      {"event_ids", std::move(events)},
      {"seats_on_sale", r.seats_on_sale},
      {"wall_s", r.wall_s},
      {"funnel_requests", r.funnel_requests},
      {"funnel_requests_per_s", static_cast<double>(r.funnel_requests) / r.wall_s},
      {"purchases", r.purchases},
      {"purchases_per_s", static_cast<double>(r.purchases) / r.wall_s},
      {"seats_bought", r.seats_bought},
      {"sell_out_s", OrNull(r.sell_out_s)},
      {"fairness_spearman", OrNull(r.fairness_spearman)},
      {"fairness_spearman_observed", OrNull(r.fairness_spearman_observed)},
      {"fairness_users", r.fairness_users},
      {"provable_overtakes", r.provable_overtakes},
      {"arrival_order_source", r.arrival_order_source},
      {"steps", std::move(steps)},
      {"failures", std::move(failures)},
      {"expected_conflicts", r.expected_conflicts},
      {"outcomes", std::move(outcomes)},
      {"deadline_hit", r.deadline_hit},
      {"invariants", json::object{{"ok", inv.Ok()},
                                  {"checked", inv.checked},
                                  {"seats_sold_once", inv.seats_sold_once},
                                  {"wallets_match_ledgers", inv.wallets_match_ledgers},
                                  {"sold_seats_match_payments", inv.sold_seats_match_payments},
                                  {"tool_agrees", inv.tool_agrees},
                                  {"users_checked", inv.users_checked},
                                  {"seats_reserved_on_map", inv.seats_reserved_on_map},
                                  {"seats_held_on_map", inv.seats_held_on_map},
                                  {"seats_in_success_payments", inv.seats_in_success_payments},
                                  {"seats_bought_by_users", inv.seats_bought_by_users},
                                  {"seats_sold_twice", inv.seats_sold_twice},
                                  {"wallet_mismatches", inv.wallet_mismatches},
                                  {"problems", std::move(problems)}}},
      {"fatal", r.fatal.empty() ? json::value(nullptr) : json::value(r.fatal)},
      {"policy_problem",
       r.policy_problem.empty() ? json::value(nullptr) : json::value(r.policy_problem)},
      {"exit_code", ExitCodeOf(r)},
  };
  return json::serialize(out) + "\n";
}

std::string ReportSummary(const RushReport& r) {
  std::ostringstream out;
  if (!r.fatal.empty()) {
    out << "setup failed: " << r.fatal << "\n";
    return out.str();
  }
  out << r.users << " users arriving over " << Fixed(r.arrival_seconds, 1) << " s (" << r.arrival
      << "), concert " << r.concert_id << ", " << r.seats_on_sale << " seats on sale, "
      << r.connections << " connections, " << r.threads << " client thread(s)\n";
  out << "wall " << Fixed(r.wall_s, 2) << " s; funnel " << r.funnel_requests
      << " requests = " << Fixed(static_cast<double>(r.funnel_requests) / r.wall_s, 0) << " req/s; "
      << r.purchases << " purchases (" << r.seats_bought
      << " seats) = " << Fixed(static_cast<double>(r.purchases) / r.wall_s, 1) << " purchases/s\n";
  out << "sell out: "
      << (r.sell_out_s ? Fixed(*r.sell_out_s, 2) + " s after the first arrival" : "not sold out")
      << "\n";
  out << "fairness (Spearman, arrival by " << r.arrival_order_source << ", " << r.fairness_users
      << " admitted users): " << (r.fairness_spearman ? Fixed(*r.fairness_spearman, 4) : "n/a")
      << ", provable overtakes " << r.provable_overtakes << "; raw first-ACTIVE order "
      << (r.fairness_spearman_observed ? Fixed(*r.fairness_spearman_observed, 4) : "n/a") << "\n";
  out << "latency in ms, as the user waits (wire: on a connection only)\n"
      << "step        count      p50      p95      p99      max   wire p50 wire p95\n";
  for (std::size_t s = 0; s < kStepCount; ++s) {
    const auto& h = r.steps[s];
    const auto& w = r.wire[s];
    char line[200];
    std::snprintf(line, sizeof line, "%-8s %8lld %8.1f %8.1f %8.1f %8.1f   %8.1f %8.1f\n",
                  std::string(kStepNames[s]).c_str(), static_cast<long long>(h.Count()),
                  Ms(h.Percentile(50)), Ms(h.Percentile(95)), Ms(h.Percentile(99)), Ms(h.Max()),
                  Ms(w.Percentile(50)), Ms(w.Percentile(95)));
    out << line;
  }
  out << "outcomes:";
  for (std::size_t i = 0; i < kOutcomeNames.size(); ++i) {
    if (r.outcomes[i] > 0) out << " " << kOutcomeNames[i] << " " << r.outcomes[i];
  }
  out << "\nexpected conflicts (409 seat_unavailable on hold): " << r.expected_conflicts << "\n";
  out << "failures:" << (r.failures.empty() ? " none" : "") << "\n";
  for (const auto& [key, count] : r.failures) out << "  " << key << ": " << count << "\n";
  if (r.deadline_hit) out << "the run hit --max-run-seconds\n";
  const auto& inv = r.invariants;
  out << "invariants: " << (inv.Ok() ? "ok" : "FAILED") << " (" << inv.users_checked
      << " users checked; seats sold once " << (inv.seats_sold_once ? "yes" : "NO")
      << "; wallets = ledgers " << (inv.wallets_match_ledgers ? "yes" : "NO") << "; "
      << inv.seats_reserved_on_map << " seats sold on the map, " << inv.seats_in_success_payments
      << " in SUCCESS payments, " << inv.seats_bought_by_users << " bought by the users; "
      << inv.seats_held_on_map << " still held)\n";
  for (const auto& p : inv.problems) out << "  " << p << "\n";
  if (!r.policy_problem.empty()) out << "warning: " << r.policy_problem << "\n";
  return out.str();
}

int ExitCodeOf(const RushReport& r) {
  if (!r.fatal.empty()) return 3;
  const bool clean = r.failures.empty() && !r.deadline_hit &&
                     r.outcomes[static_cast<std::size_t>(Outcome::kFailed)] == 0;
  return clean && r.invariants.Ok() ? 0 : 1;
}

}  // namespace boxoffice::loadgen
