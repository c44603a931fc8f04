#pragma once

#include <soci/soci.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/model/hold.hpp"
#include "domain/model/names.hpp"
#include "domain/model/reservation.hpp"
#include "domain/model/wallet.hpp"
#include "domain/types.hpp"
#include "infrastructure/sql/deferred_writes.hpp"
#include "infrastructure/sql/statement_cache.hpp"

namespace boxoffice::infra::sql {

inline std::int64_t ToMs(domain::Instant t) { return t.time_since_epoch().count(); }
inline domain::Instant FromMs(std::int64_t ms) { return domain::Instant{domain::Duration{ms}}; }

// An integer column read as text; throws std::runtime_error unless all of it is a number that
// fits T.
template <class T>
T ParseInteger(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw std::runtime_error("not an integer column value: '" + std::string(text) + "'");
  }
  return value;
}

// The seats of a hold or a reservation, inserted in one statement: `sql` is an INSERT of
// (owner, seat_id, seat_number, price) whose VALUES are "{rows}".
class SeatRows {
 public:
  SeatRows(std::string_view sql, std::int64_t owner, const std::vector<domain::HeldSeat>& seats) {
    std::string values;
    params_.push_back({"owner", owner});
    for (std::size_t i = 0; i < seats.size(); ++i) {
      const std::string k = std::to_string(i);
      if (i > 0) values += ',';
      values += "(:owner, :s" + k + ", :num" + k + ", :price" + k + ")";
      params_.push_back({"s" + k, seats[i].seat_id.value});
      params_.push_back({"num" + k, std::int64_t{seats[i].seat_number}});
      params_.push_back({"price" + k, seats[i].price.won});
    }
    text_ = std::string(sql);
    text_.replace(text_.find("{rows}"), 6, values);
  }
  const std::string& Sql() const { return text_; }
  const Params& Values() const { return params_; }

 private:
  std::string text_;
  Params params_;
};

// The placeholders and values of an `IN (...)` list, built at run time. SOCI binds by
// reference, so the values live here until the statement has run.
class InList {
 public:
  template <class Tag>
  InList(std::string_view prefix, const std::vector<domain::Id<Tag>>& ids) {
    values_.reserve(ids.size());
    names_.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      values_.push_back(ids[i].value);
      names_.push_back(std::string(prefix) + std::to_string(i));
      if (i > 0) placeholders_ += ',';
      placeholders_ += ':' + names_.back();
    }
  }
  // The ids of a batch (the repositories' batch forms, ADR 0021).
  template <class Tag>
  InList(std::string_view prefix, std::span<const domain::Id<Tag>> ids)
      : InList(prefix, std::vector<domain::Id<Tag>>(ids.begin(), ids.end())) {}
  explicit InList(std::string_view prefix, const std::vector<std::int64_t>& ids) {
    values_ = ids;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      names_.push_back(std::string(prefix) + std::to_string(i));
      if (i > 0) placeholders_ += ',';
      placeholders_ += ':' + names_.back();
    }
  }

  bool empty() const { return values_.empty(); }
  std::size_t size() const { return values_.size(); }
  // A list this long or shorter is as long as a hold's seats usually are, and its statement
  // text recurs: it is kept prepared (SqlRepository::PrepareInList). A longer one is a batch's
  // size, whose text would rarely be seen again.
  static constexpr std::size_t kKeptLength = 8;
  // ":s0,:s1,..."
  const std::string& placeholders() const { return placeholders_; }
  void BindTo(Statement& st) {
    for (std::size_t i = 0; i < values_.size(); ++i) st.Bind(soci::use(values_[i], names_[i]));
  }
  // Adds the values to `params`, by name.
  void AppendTo(Params& params) const {
    for (std::size_t i = 0; i < values_.size(); ++i) params.push_back({names_[i], values_[i]});
  }

 private:
  std::vector<std::int64_t> values_;
  std::vector<std::string> names_;
  std::string placeholders_;
};

// The rows found for `ids` (keyed by id), in the order of `ids`; nullopt where none was: how a
// batch form answers the callers of one read by an IN list.
template <class T, class Tag>
std::vector<std::optional<T>> InOrderOf(std::span<const domain::Id<Tag>> ids,
                                        const std::unordered_map<std::int64_t, T>& found) {
  std::vector<std::optional<T>> out;
  out.reserve(ids.size());
  for (const auto id : ids) {
    auto it = found.find(id.value);
    out.push_back(it == found.end() ? std::nullopt : std::optional<T>(it->second));
  }
  return out;
}

// Replaces the single "{in}" marker of a statement template with the placeholder list.
inline std::string WithInList(std::string_view sql, const InList& list) {
  std::string out(sql);
  const auto at = out.find("{in}");
  if (at == std::string::npos) throw std::logic_error("statement has no {in} marker");
  out.replace(at, 4, list.placeholders());
  return out;
}

// The ids (first column) returned by `sql`, which binds the instant `:at` and `:limit`. The
// sweepers select a bounded batch this way, then change it by primary key (ExecuteOnIds), so
// the rows are locked in id order and never more than one batch at a time.
inline std::vector<std::int64_t> SelectIds(soci::session& session, const std::string& sql,
                                           std::int64_t at, int limit) {
  std::int64_t id = 0;
  std::vector<std::int64_t> ids;
  Statement st(session, nullptr, sql);
  st.Bind(soci::use(at, "at"), soci::use(limit, "limit"), soci::into(id));
  st.Execute(false);
  while (st.Fetch()) ids.push_back(id);
  return ids;
}

// Runs `sql` with its "{in}" marker replaced by `ids` and `:at` bound; returns the rows changed.
inline int ExecuteOnIds(soci::session& session, std::string_view sql,
                        const std::vector<std::int64_t>& ids, std::int64_t at) {
  if (ids.empty()) return 0;
  InList list("i", ids);
  Statement st(session, nullptr, WithInList(sql, list));
  st.Bind(soci::use(at, "at"));
  list.BindTo(st);
  st.Execute();
  return static_cast<int>(st.AffectedRows());
}

// Storage keeps the domain's state names (domain/model/names.hpp).
template <class E>
const char* ToText(E value) {
  return domain::Name(value).data();  // a string literal: null-terminated
}

// Stored text back to an enum; an unknown value means the schema and the code disagree (a bug).
template <class E>
E FromText(std::string_view text, std::initializer_list<E> values) {
  for (E v : values) {
    if (text == ToText(v)) return v;
  }
  throw std::logic_error("unexpected stored state '" + std::string(text) + "'");
}

inline domain::SeatState SeatStateFrom(std::string_view t) {
  using S = domain::SeatState;
  return FromText(t, {S::kAvailable, S::kHeld, S::kReserved});
}
inline domain::HoldStatus HoldStatusFrom(std::string_view t) {
  using S = domain::HoldStatus;
  return FromText(t, {S::kActive, S::kReleased, S::kExpired, S::kReserved});
}
inline domain::ReservationStatus ReservationStatusFrom(std::string_view t) {
  using S = domain::ReservationStatus;
  return FromText(t, {S::kPending, S::kConfirmed, S::kPaymentFailed, S::kExpired, S::kCancelled});
}
inline domain::PaymentStatus PaymentStatusFrom(std::string_view t) {
  using S = domain::PaymentStatus;
  return FromText(t, {S::kSuccess, S::kFailed});
}
inline domain::WalletEntryType WalletEntryTypeFrom(std::string_view t) {
  using T = domain::WalletEntryType;
  return FromText(t, {T::kCharge, T::kUse, T::kRefund});
}

}  // namespace boxoffice::infra::sql
