#include "infrastructure/memory/memory_waiting_room.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

namespace boxoffice::infra {
namespace {

using domain::AdmissionResult;
using domain::ConcertId;
using domain::Duration;
using domain::Instant;
using domain::QueuePlace;
using domain::QueueState;
using domain::QueueStats;
using domain::QueueView;
using domain::UserId;

constexpr Duration kRateWindow = std::chrono::seconds(60);
constexpr std::size_t kMinCapacity = 64;
// Vacated slots are reclaimed only once they dominate, so compaction stays amortized O(1).
constexpr std::size_t kCompactionMinSlots = 1024;
constexpr std::size_t kCompactionRatio = 4;

// Counts the live entries at each index; a prefix sum is a position in the line.
class FenwickTree {
 public:
  std::size_t Capacity() const { return tree_.size(); }

  void Add(std::size_t index, std::int64_t delta) {
    for (; index < tree_.size(); index |= index + 1) tree_[index] += delta;
  }

  // Sum of the entries at indexes [0, index].
  std::int64_t Prefix(std::size_t index) const {
    std::int64_t sum = 0;
    for (std::size_t j = index + 1; j > 0; j &= j - 1) sum += tree_[j - 1];
    return sum;
  }

  // Linear-time rebuild from per-index counts, used when the capacity changes.
  void Rebuild(const std::vector<std::uint8_t>& counts, std::size_t capacity) {
    tree_.assign(capacity, 0);
    for (std::size_t i = 0; i < counts.size(); ++i) tree_[i] = counts[i];
    for (std::size_t i = 0; i < capacity; ++i) {
      std::size_t parent = i | (i + 1);
      if (parent < capacity) tree_[parent] += tree_[i];
    }
  }

 private:
  std::vector<std::int64_t> tree_;
};

// The FIFO line of one concert. A slot is an arrival index; a vacated slot keeps its index until
// compaction, so a user's position is the number of live slots up to and including their own.
class Line {
 public:
  std::size_t Append(std::int64_t user) {
    if (users_.size() == tree_.Capacity()) {
      tree_.Rebuild(alive_, std::max(kMinCapacity, 2 * tree_.Capacity()));
    }
    std::size_t slot = users_.size();
    users_.push_back(user);
    alive_.push_back(1);
    tree_.Add(slot, 1);
    ++size_;
    return slot;
  }

  void Remove(std::size_t slot) {
    alive_[slot] = 0;
    tree_.Add(slot, -1);
    --size_;
  }

  std::int64_t Position(std::size_t slot) const { return tree_.Prefix(slot); }

  std::optional<std::int64_t> PopFront() {
    while (head_ < users_.size() && !alive_[head_]) ++head_;
    if (head_ == users_.size()) return std::nullopt;
    std::int64_t user = users_[head_];
    Remove(head_);
    ++head_;
    return user;
  }

  std::size_t Size() const { return size_; }

  bool NeedsCompaction() const {
    return users_.size() >= kCompactionMinSlots && users_.size() > kCompactionRatio * size_;
  }

  // Drops vacated slots; `moved(user, new_slot)` is told every live user's new slot.
  template <class OnMove>
  void Compact(OnMove&& moved) {
    std::vector<std::int64_t> users;
    users.reserve(size_);
    for (std::size_t i = head_; i < users_.size(); ++i) {
      if (!alive_[i]) continue;
      moved(users_[i], users.size());
      users.push_back(users_[i]);
    }
    users_ = std::move(users);
    alive_.assign(users_.size(), 1);
    head_ = 0;
    tree_.Rebuild(alive_, std::max(kMinCapacity, 2 * users_.size()));
  }

 private:
  std::vector<std::int64_t> users_;
  std::vector<std::uint8_t> alive_;
  FenwickTree tree_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

enum class Stage { kGone, kPreQueue, kWaiting, kActive };

struct Place {
  std::int64_t sequence = 0;
  std::int32_t generation = 0;
  Stage stage = Stage::kGone;
  std::size_t slot = 0;  // index in the line, or in the pre-queue
  Instant last_seen;
  Instant active_until;
  Duration idle_ttl{};  // remembered so that Join, which gets no policies, can renew it
};

using TimeIndex = std::set<std::pair<Instant, std::int64_t>>;

struct ConcertRoom {
  std::mutex mu;
  std::int64_t newest_fencing_token = 0;  // the highest token an Admit has passed
  // Users stay here after losing their place so that a new place gets a higher generation.
  std::unordered_map<std::int64_t, Place> places;
  Line line;
  std::vector<std::int64_t> pre_queue;  // unordered: it is shuffled at opening anyway
  std::optional<Instant> opens_at;
  TimeIndex waiting_by_last_seen;
  TimeIndex active_by_deadline;
  bool sold_out = false;
  std::int64_t admitted_total = 0;
  std::deque<std::pair<Instant, std::int32_t>> ticks;
  std::int64_t ticks_admitted = 0;  // sum over `ticks`, kept so Stats is O(1) per poll
  std::mt19937_64 rng{std::random_device{}()};

  bool IsEmpty() const {
    return line.Size() == 0 && pre_queue.empty() && active_by_deadline.empty();
  }

  void Remove(std::int64_t user, Place& place) {
    switch (place.stage) {
      case Stage::kGone:
        return;
      case Stage::kPreQueue: {
        std::int64_t last = pre_queue.back();
        pre_queue[place.slot] = last;
        places[last].slot = place.slot;
        pre_queue.pop_back();
        waiting_by_last_seen.erase({place.last_seen, user});
        break;
      }
      case Stage::kWaiting:
        line.Remove(place.slot);
        waiting_by_last_seen.erase({place.last_seen, user});
        break;
      case Stage::kActive:
        active_by_deadline.erase({place.active_until, user});
        break;
    }
    place.stage = Stage::kGone;
  }

  // The state of a live place (waiting, pre-queue or active).
  QueueView ViewOf(const Place& place) const {
    if (place.stage == Stage::kActive) return QueueView{QueueState::kActive, 0, place.active_until};
    // Before opening every pre-queue user may end up last after the shuffle: the worst case.
    const std::int64_t position = place.stage == Stage::kPreQueue
                                      ? static_cast<std::int64_t>(pre_queue.size())
                                      : line.Position(place.slot);
    return QueueView{sold_out ? QueueState::kSoldOut : QueueState::kWaiting, position};
  }

  void Renew(std::int64_t user, Place& place, Instant now) {
    if (place.stage == Stage::kActive) {
      active_by_deadline.erase({place.active_until, user});
      place.active_until = now + place.idle_ttl;
      active_by_deadline.insert({place.active_until, user});
    } else {
      waiting_by_last_seen.erase({place.last_seen, user});
      place.last_seen = now;
      waiting_by_last_seen.insert({place.last_seen, user});
    }
  }

  void FlushPreQueueIfOpen(Instant now) {
    if (pre_queue.empty() || !opens_at || now < *opens_at) return;
    std::shuffle(pre_queue.begin(), pre_queue.end(), rng);
    for (std::int64_t user : pre_queue) {
      Place& place = places[user];
      place.stage = Stage::kWaiting;
      place.slot = line.Append(user);
    }
    pre_queue.clear();
  }

  void CompactIfSparse() {
    if (!line.NeedsCompaction()) return;
    line.Compact([this](std::int64_t user, std::size_t slot) { places[user].slot = slot; });
  }

  void PruneTicks(Instant now) {
    while (!ticks.empty() && ticks.front().first < now - kRateWindow) {
      ticks_admitted -= ticks.front().second;
      ticks.pop_front();
    }
  }
};

bool IsSilent(const Place& place, Instant now, const domain::Policies& policies) {
  return now - place.last_seen > std::chrono::seconds(policies.waiting_grace_seconds);
}

}  // namespace

struct MemoryWaitingRoom::State {
  std::shared_mutex mu;
  // Rooms are never removed, so a pointer stays valid after the map lock is released.
  std::unordered_map<ConcertId, std::unique_ptr<ConcertRoom>> rooms;
  std::atomic<std::int64_t> sequence{0};

  ConcertRoom* Find(ConcertId concert) {
    std::shared_lock lock(mu);
    auto it = rooms.find(concert);
    return it == rooms.end() ? nullptr : it->second.get();
  }

  ConcertRoom& FindOrCreate(ConcertId concert) {
    if (ConcertRoom* room = Find(concert)) return *room;
    std::unique_lock lock(mu);
    auto& room = rooms[concert];
    if (!room) room = std::make_unique<ConcertRoom>();
    return *room;
  }
};

MemoryWaitingRoom::MemoryWaitingRoom() : state_(std::make_unique<State>()) {}
MemoryWaitingRoom::~MemoryWaitingRoom() = default;

QueuePlace MemoryWaitingRoom::Join(ConcertId concert, UserId user, Instant now, Instant opens_at,
                                   const domain::Policies& policies) {
  ConcertRoom& room = state_->FindOrCreate(concert);
  std::lock_guard lock(room.mu);
  room.opens_at = opens_at;
  room.FlushPreQueueIfOpen(now);

  Place& place = room.places[user.value];
  const bool lapsed = place.stage == Stage::kActive
                          ? now >= place.active_until
                          : place.stage != Stage::kGone && IsSilent(place, now, policies);
  if (lapsed) room.Remove(user.value, place);
  ++place.generation;
  if (place.stage != Stage::kGone) {
    room.Renew(user.value, place, now);
    return QueuePlace{concert, user, place.sequence, place.generation, room.ViewOf(place)};
  }

  // Taken under the room lock, so sequences within one concert follow the line order.
  place.sequence = ++state_->sequence;
  place.last_seen = now;
  if (now < opens_at) {
    place.stage = Stage::kPreQueue;
    place.slot = room.pre_queue.size();
    room.pre_queue.push_back(user.value);
  } else {
    place.stage = Stage::kWaiting;
    place.slot = room.line.Append(user.value);
  }
  room.waiting_by_last_seen.insert({now, user.value});
  return QueuePlace{concert, user, place.sequence, place.generation, room.ViewOf(place)};
}

QueueView MemoryWaitingRoom::Touch(ConcertId concert, UserId user, std::int32_t generation,
                                   Instant now, const domain::Policies& policies) {
  ConcertRoom* room = state_->Find(concert);
  if (room == nullptr) return QueueView{QueueState::kExpired};
  std::lock_guard lock(room->mu);
  auto it = room->places.find(user.value);
  if (it == room->places.end() || it->second.stage == Stage::kGone) {
    return QueueView{QueueState::kExpired};
  }
  Place& place = it->second;
  if (generation != place.generation) return QueueView{QueueState::kSuperseded};

  if (place.stage == Stage::kActive) {
    if (now >= place.active_until) {
      room->Remove(user.value, place);
      return QueueView{QueueState::kExpired};
    }
    place.idle_ttl = std::chrono::seconds(policies.active_idle_ttl_seconds);
    room->Renew(user.value, place, now);
    return room->ViewOf(place);
  }

  if (IsSilent(place, now, policies)) {
    room->Remove(user.value, place);
    return QueueView{QueueState::kExpired};
  }
  room->Renew(user.value, place, now);
  return room->ViewOf(place);
}

void MemoryWaitingRoom::Leave(ConcertId concert, UserId user) {
  ConcertRoom* room = state_->Find(concert);
  if (room == nullptr) return;
  std::lock_guard lock(room->mu);
  auto it = room->places.find(user.value);
  if (it == room->places.end()) return;
  room->Remove(user.value, it->second);
  room->CompactIfSparse();
}

void MemoryWaitingRoom::LeavePlace(ConcertId concert, UserId user, std::int32_t generation) {
  ConcertRoom* room = state_->Find(concert);
  if (room == nullptr) return;
  std::lock_guard lock(room->mu);
  auto it = room->places.find(user.value);
  if (it == room->places.end() || it->second.generation != generation) return;
  room->Remove(user.value, it->second);
  room->CompactIfSparse();
}

AdmissionResult MemoryWaitingRoom::Admit(ConcertId concert, const domain::Policies& policies,
                                         Instant now, std::int64_t fencing_token) {
  ConcertRoom* room = state_->Find(concert);
  if (room == nullptr) return {};
  std::lock_guard lock(room->mu);
  if (fencing_token < room->newest_fencing_token) return {};  // a stale ticker
  room->newest_fencing_token = fencing_token;
  AdmissionResult result;

  const auto grace = std::chrono::seconds(policies.waiting_grace_seconds);
  while (!room->waiting_by_last_seen.empty() &&
         now - room->waiting_by_last_seen.begin()->first > grace) {
    std::int64_t user = room->waiting_by_last_seen.begin()->second;
    room->Remove(user, room->places[user]);
    ++result.evicted_waiting;
  }
  while (!room->active_by_deadline.empty() && room->active_by_deadline.begin()->first <= now) {
    std::int64_t user = room->active_by_deadline.begin()->second;
    room->Remove(user, room->places[user]);
    ++result.evicted_active;
  }

  room->FlushPreQueueIfOpen(now);

  // Admitting into a sold-out concert would only hand out slots with nothing to buy.
  if (!room->sold_out) {
    const auto idle_ttl = std::chrono::seconds(policies.active_idle_ttl_seconds);
    std::int64_t free_slots =
        std::max<std::int64_t>(0, std::int64_t{policies.max_active} -
                                      static_cast<std::int64_t>(room->active_by_deadline.size()));
    std::int64_t quota = std::min<std::int64_t>(std::max(0, policies.admit_batch), free_slots);
    for (std::int64_t i = 0; i < quota; ++i) {
      std::optional<std::int64_t> user = room->line.PopFront();
      if (!user) break;
      Place& place = room->places[*user];
      room->waiting_by_last_seen.erase({place.last_seen, *user});
      place.stage = Stage::kActive;
      place.idle_ttl = idle_ttl;
      place.active_until = now + idle_ttl;
      room->active_by_deadline.insert({place.active_until, *user});
      ++result.admitted;
    }
  }
  room->CompactIfSparse();

  room->admitted_total += result.admitted;
  room->ticks.emplace_back(now, result.admitted);
  room->ticks_admitted += result.admitted;
  room->PruneTicks(now);
  return result;
}

void MemoryWaitingRoom::SetSoldOut(ConcertId concert, bool sold_out) {
  ConcertRoom& room = state_->FindOrCreate(concert);
  std::lock_guard lock(room.mu);
  room.sold_out = sold_out;
}

QueueStats MemoryWaitingRoom::Stats(ConcertId concert, Instant now) {
  ConcertRoom* room = state_->Find(concert);
  if (room == nullptr) return {};
  std::lock_guard lock(room->mu);
  room->PruneTicks(now);
  QueueStats stats;
  stats.waiting = static_cast<std::int64_t>(room->line.Size() + room->pre_queue.size());
  stats.active = static_cast<std::int64_t>(room->active_by_deadline.size());
  stats.admitted_total = room->admitted_total;
  if (room->ticks.size() >= 2) {
    // The first tick only opens the window: what it admitted happened before the span measured.
    const std::int64_t admitted = room->ticks_admitted - room->ticks.front().second;
    std::chrono::duration<double> span = room->ticks.back().first - room->ticks.front().first;
    if (span.count() > 0) stats.admission_rate_per_second = admitted / span.count();
  }
  return stats;
}

std::vector<ConcertId> MemoryWaitingRoom::ConcertsWithQueues() {
  std::vector<ConcertId> result;
  std::shared_lock lock(state_->mu);
  for (const auto& [concert, room] : state_->rooms) {
    std::lock_guard room_lock(room->mu);
    if (!room->IsEmpty()) result.push_back(concert);
  }
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace boxoffice::infra
