#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "domain/ports/waiting_room.hpp"

namespace boxoffice::fakes {

// A waiting room whose answers the test scripts. Join gives places in arrival order (waiting,
// position = arrival rank); SetView overrides what Touch reports for a user. Generation checks
// and Leave behave as the port says, so token handling can be tested for real.
class FakeWaitingRoom : public domain::WaitingRoom {
 public:
  struct Call {
    domain::ConcertId concert;
    domain::Instant now;
    domain::Policies policies;
    std::int64_t fencing_token = 0;
  };

  domain::QueuePlace Join(domain::ConcertId concert, domain::UserId user, domain::Instant,
                          domain::Instant opens_at, const domain::Policies&) override {
    std::lock_guard lock(mu_);
    last_opens_at_ = opens_at;
    auto& place = places_[{concert.value, user.value}];
    if (place.sequence == 0) {
      place.sequence = ++next_sequence_;
      place.view = {domain::QueueState::kWaiting, CountPlaces(concert), std::nullopt};
    } else {
      ++place.generation;
    }
    return {concert, user, place.sequence, place.generation, place.view};
  }

  domain::QueueView Touch(domain::ConcertId concert, domain::UserId user, std::int32_t generation,
                          domain::Instant, const domain::Policies& policies) override {
    std::lock_guard lock(mu_);
    ++touches_;
    last_touch_policies_ = policies;
    auto it = places_.find({concert.value, user.value});
    if (it == places_.end()) return {domain::QueueState::kExpired, 0, std::nullopt};
    if (it->second.generation != generation) return {domain::QueueState::kSuperseded, 0, {}};
    auto view = it->second.view;
    if (view.state == domain::QueueState::kWaiting && sold_out_.contains(concert.value)) {
      view.state = domain::QueueState::kSoldOut;
    }
    return view;
  }

  void Leave(domain::ConcertId concert, domain::UserId user) override {
    std::lock_guard lock(mu_);
    places_.erase({concert.value, user.value});
    leaves_.push_back({concert, user});
  }
  void LeavePlace(domain::ConcertId concert, domain::UserId user,
                  std::int32_t generation) override {
    std::lock_guard lock(mu_);
    auto it = places_.find({concert.value, user.value});
    if (it == places_.end() || it->second.generation != generation) return;
    places_.erase(it);
    leaves_.push_back({concert, user});
  }

  // Admits nobody by itself; records the tick and returns the scripted result.
  domain::AdmissionResult Admit(domain::ConcertId concert, const domain::Policies& policies,
                                domain::Instant now, std::int64_t fencing_token) override {
    std::lock_guard lock(mu_);
    admits_.push_back({concert, now, policies, fencing_token});
    return admit_result_;
  }

  void SetSoldOut(domain::ConcertId concert, bool sold_out) override {
    std::lock_guard lock(mu_);
    sold_out_calls_[concert.value] = sold_out;
    if (sold_out) {
      sold_out_.insert(concert.value);
    } else {
      sold_out_.erase(concert.value);
    }
  }

  domain::QueueStats Stats(domain::ConcertId concert, domain::Instant) override {
    std::lock_guard lock(mu_);
    auto it = stats_.find(concert.value);
    return it == stats_.end() ? domain::QueueStats{} : it->second;
  }

  std::vector<domain::ConcertId> ConcertsWithQueues() override {
    std::lock_guard lock(mu_);
    std::set<std::int64_t> ids;
    for (const auto& [key, place] : places_) ids.insert(key.first);
    std::vector<domain::ConcertId> out;
    for (auto id : ids) out.push_back({id});
    return out;
  }

  // Asynchronous forms. Unless SetAsync(true), the port's defaults (the synchronous form in
  // place, and AnswersWithoutBlocking() false). With it, each call is held until the test ends
  // it with CompleteHeld (the synchronous form's answer) or FailHeld (an exception).
  bool AnswersWithoutBlocking() const override { return async_; }
  void JoinWithStatsAsync(domain::ConcertId concert, domain::UserId user, domain::Instant now,
                          domain::Instant opens_at, const domain::Policies& policies,
                          domain::Completion<domain::PlaceWithStats> done) override {
    if (!async_) {
      return WaitingRoom::JoinWithStatsAsync(concert, user, now, opens_at, policies,
                                             std::move(done));
    }
    std::lock_guard lock(mu_);
    held_.push_back([=, this, done = std::move(done)](std::exception_ptr error) {
      if (error) return done(error, {});
      done(nullptr, JoinWithStats(concert, user, now, opens_at, policies));
    });
  }
  void TouchAsync(domain::ConcertId concert, domain::UserId user, std::int32_t generation,
                  domain::Instant now, const domain::Policies& policies,
                  domain::Completion<domain::QueueView> done) override {
    if (!async_) {
      return WaitingRoom::TouchAsync(concert, user, generation, now, policies, std::move(done));
    }
    std::lock_guard lock(mu_);
    held_.push_back([=, this, done = std::move(done)](std::exception_ptr error) {
      if (error) return done(error, {});
      done(nullptr, Touch(concert, user, generation, now, policies));
    });
  }
  void TouchWithStatsAsync(domain::ConcertId concert, domain::UserId user, std::int32_t generation,
                           domain::Instant now, const domain::Policies& policies,
                           domain::Completion<domain::ViewWithStats> done) override {
    if (!async_) {
      return WaitingRoom::TouchWithStatsAsync(concert, user, generation, now, policies,
                                              std::move(done));
    }
    std::lock_guard lock(mu_);
    held_.push_back([=, this, done = std::move(done)](std::exception_ptr error) {
      if (error) return done(error, {});
      done(nullptr, TouchWithStats(concert, user, generation, now, policies));
    });
  }
  void SetAsync(bool async) { async_ = async; }
  std::size_t Held() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  // Ends every held call, in order: with the answer, or with `error`.
  void CompleteHeld() { EndHeld(nullptr); }
  void FailHeld(std::exception_ptr error) { EndHeld(error); }

  // Scripting and inspection.
  void SetView(domain::ConcertId concert, domain::UserId user, domain::QueueView view) {
    std::lock_guard lock(mu_);
    places_[{concert.value, user.value}].view = view;
  }
  // Gives the user an admitted place and returns its claims' generation.
  domain::QueuePlace Admitted(domain::ConcertId concert, domain::UserId user,
                              domain::Instant active_until) {
    std::lock_guard lock(mu_);
    auto& place = places_[{concert.value, user.value}];
    if (place.sequence == 0) place.sequence = ++next_sequence_;
    place.view = {domain::QueueState::kActive, 0, active_until};
    return {concert, user, place.sequence, place.generation};
  }
  void SetStats(domain::ConcertId concert, domain::QueueStats stats) {
    std::lock_guard lock(mu_);
    stats_[concert.value] = stats;
  }
  void SetAdmitResult(domain::AdmissionResult r) {
    std::lock_guard lock(mu_);
    admit_result_ = r;
  }
  bool HasPlace(domain::ConcertId concert, domain::UserId user) {
    std::lock_guard lock(mu_);
    return places_.contains({concert.value, user.value});
  }
  std::vector<Call> Admits() {
    std::lock_guard lock(mu_);
    return admits_;
  }
  std::optional<bool> SoldOutFlag(domain::ConcertId concert) {
    std::lock_guard lock(mu_);
    auto it = sold_out_calls_.find(concert.value);
    if (it == sold_out_calls_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::pair<domain::ConcertId, domain::UserId>> Leaves() {
    std::lock_guard lock(mu_);
    return leaves_;
  }
  int Touches() {
    std::lock_guard lock(mu_);
    return touches_;
  }
  std::optional<domain::Policies> LastTouchPolicies() {
    std::lock_guard lock(mu_);
    return last_touch_policies_;
  }
  std::optional<domain::Instant> LastOpensAt() {
    std::lock_guard lock(mu_);
    return last_opens_at_;
  }

 private:
  struct Place {
    std::int64_t sequence = 0;
    std::int32_t generation = 0;
    domain::QueueView view;
  };

  std::int64_t CountPlaces(domain::ConcertId concert) const {
    std::int64_t n = 0;
    for (const auto& [key, place] : places_) n += key.first == concert.value ? 1 : 0;
    return n;
  }

  void EndHeld(std::exception_ptr error) {
    std::vector<std::function<void(std::exception_ptr)>> held;
    {
      std::lock_guard lock(mu_);
      held.swap(held_);
    }
    for (auto& end : held) end(error);
  }

  std::atomic<bool> async_{false};
  std::vector<std::function<void(std::exception_ptr)>> held_;
  std::mutex mu_;
  std::map<std::pair<std::int64_t, std::int64_t>, Place> places_;
  std::int64_t next_sequence_ = 0;
  std::set<std::int64_t> sold_out_;
  std::map<std::int64_t, bool> sold_out_calls_;
  std::map<std::int64_t, domain::QueueStats> stats_;
  domain::AdmissionResult admit_result_;
  std::vector<Call> admits_;
  std::vector<std::pair<domain::ConcertId, domain::UserId>> leaves_;
  int touches_ = 0;
  std::optional<domain::Policies> last_touch_policies_;
  std::optional<domain::Instant> last_opens_at_;
};

}  // namespace boxoffice::fakes
