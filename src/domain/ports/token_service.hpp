#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/types.hpp"

namespace boxoffice::domain {

// What a queue token ("User-Token") names. The live state of the place is checked separately
// in the WaitingRoom; a signature alone never admits anyone.
struct QueueClaims {
  UserId user_id;
  ConcertId concert_id;
  std::int64_t sequence = 0;
  std::int32_t generation = 0;
};

// Signs and verifies the two bearer credentials (HS256 JWTs in production).
class TokenService {
 public:
  virtual ~TokenService() = default;
  // An access token whose subject is the user; valid for the configured lifetime.
  virtual std::string IssueAccess(UserId user, Instant now) = 0;
  // The user named by a well-formed, correctly signed, unexpired access token.
  virtual std::optional<UserId> VerifyAccess(std::string_view token, Instant now) = 0;
  virtual std::string IssueQueue(const QueueClaims& claims, Instant now) = 0;
  virtual std::optional<QueueClaims> VerifyQueue(std::string_view token, Instant now) = 0;
};

}  // namespace boxoffice::domain
