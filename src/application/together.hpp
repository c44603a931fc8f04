#pragma once

#include <utility>

#include "domain/errors.hpp"
#include "domain/ports/store.hpp"

namespace boxoffice::application {

// Runs `work` as the one write transaction of a batch of requests (ADR 0021). True when it
// committed; false when it did not: its result was an error, or the database refused it whole
// (an Idempotency-Key that has a record: DuplicateRecordError) or was unavailable. Nothing is
// then written, and each request of the batch runs alone, where it meets these outcomes itself.
template <class F>
bool CommitTogether(domain::Database& db, F&& work) {
  try {
    return db.Write(std::forward<F>(work)).ok();
  } catch (const domain::DuplicateRecordError&) {
    return false;
  } catch (const domain::UnavailableError&) {
    return false;
  }
}

}  // namespace boxoffice::application
