#include "application/policy_service.hpp"

namespace boxoffice::application {

using domain::ErrorCode;
using domain::Fail;
using domain::Policies;
using domain::Result;

namespace {

Policies LoadPolicies(domain::Database& db) {
  return db
      .Read([](domain::Store& store) -> Result<Policies> {
        return store.Policy().Load().value_or(Policies{});
      })
      .value();
}

}  // namespace

PolicyService::PolicyService(domain::Database& db, const domain::Clock& clock,
                             domain::Duration refresh)
    : db_(db), clock_(clock), refresh_(refresh) {}

Policies PolicyService::Current() {
  const auto now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    if (cached_ && (now - loaded_at_ < refresh_ || refreshing_)) return *cached_;
    refreshing_ = true;
  }
  // Loaded outside the lock, by one caller at a time, so a slow database never stalls the
  // readers that still have a cached copy.
  std::optional<Policies> fresh;
  try {
    fresh = LoadPolicies(db_);
  } catch (...) {
    std::lock_guard lock(mu_);
    refreshing_ = false;
    throw;
  }
  std::lock_guard lock(mu_);
  refreshing_ = false;
  cached_ = *fresh;
  loaded_at_ = now;
  return *fresh;
}

std::optional<Policies> PolicyService::CurrentIfFresh() {
  const auto now = clock_.Now();
  std::lock_guard lock(mu_);
  if (cached_ && (now - loaded_at_ < refresh_ || refreshing_)) return cached_;
  return std::nullopt;
}

Result<Policies> PolicyService::Update(const domain::PolicyPatch& patch) {
  const auto now = clock_.Now();
  auto saved = db_.Write([&](domain::Store& store) -> Result<Policies> {
    // Patch what is stored now, not the cache, so concurrent operators on other instances do
    // not silently undo each other's fields.
    Policies next = domain::Apply(store.Policy().Load().value_or(Policies{}), patch);
    if (auto problem = domain::Validate(next)) return Fail(ErrorCode::kInvalidRequest, *problem);
    store.Policy().Save(next, now);
    return next;
  });
  if (!saved) return saved;
  std::lock_guard lock(mu_);
  cached_ = saved.value();
  loaded_at_ = now;
  return saved;
}

}  // namespace boxoffice::application
