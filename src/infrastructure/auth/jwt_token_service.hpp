#pragma once

#include <cstdint>
#include <string>

#include "domain/ports/token_service.hpp"

namespace boxoffice::infra {

// HS256 JSON Web Tokens signed with OpenSSL HMAC-SHA256, through an HMAC context per thread that
// is keyed once. Verification accepts only {"alg":"HS256","typ":"JWT"} headers (typ may be left
// out), a valid signature (constant-time compare), a numeric `exp` in the future and, for queue
// tokens, `typ` claim "queue"; access tokens carry "access".
class JwtTokenService : public domain::TokenService {
 public:
  JwtTokenService(std::string secret, domain::Duration access_ttl, domain::Duration queue_ttl);

  std::string IssueAccess(domain::UserId user, domain::Instant now) override;
  std::optional<domain::UserId> VerifyAccess(std::string_view token, domain::Instant now) override;
  std::string IssueQueue(const domain::QueueClaims& claims, domain::Instant now) override;
  std::optional<domain::QueueClaims> VerifyQueue(std::string_view token,
                                                 domain::Instant now) override;

 private:
  std::string secret_;
  std::uint64_t key_id_;  // names this service's key in the per-thread HMAC contexts
  domain::Duration access_ttl_;
  domain::Duration queue_ttl_;
};

}  // namespace boxoffice::infra
