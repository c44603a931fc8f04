#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/ports/token_service.hpp"

namespace boxoffice::fakes {

// Readable, deterministic tokens: "access:<user>" and "queue:<user>:<concert>:<seq>:<gen>".
// Anything else is rejected, like a forged signature.
class FakeTokenService : public domain::TokenService {
 public:
  std::string IssueAccess(domain::UserId user, domain::Instant) override {
    return "access:" + std::to_string(user.value);
  }

  std::optional<domain::UserId> VerifyAccess(std::string_view token, domain::Instant) override {
    auto parts = Split(token);
    if (parts.size() != 2 || parts[0] != "access") return std::nullopt;
    auto id = ToInt(parts[1]);
    if (!id) return std::nullopt;
    return domain::UserId{*id};
  }

  std::string IssueQueue(const domain::QueueClaims& c, domain::Instant) override {
    return "queue:" + std::to_string(c.user_id.value) + ":" + std::to_string(c.concert_id.value) +
           ":" + std::to_string(c.sequence) + ":" + std::to_string(c.generation);
  }

  std::optional<domain::QueueClaims> VerifyQueue(std::string_view token, domain::Instant) override {
    auto parts = Split(token);
    if (parts.size() != 5 || parts[0] != "queue") return std::nullopt;
    auto user = ToInt(parts[1]);
    auto concert = ToInt(parts[2]);
    auto seq = ToInt(parts[3]);
    auto gen = ToInt(parts[4]);
    if (!user || !concert || !seq || !gen) return std::nullopt;
    return domain::QueueClaims{domain::UserId{*user}, domain::ConcertId{*concert}, *seq,
                               static_cast<std::int32_t>(*gen)};
  }

 private:
  static std::vector<std::string_view> Split(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i <= s.size() && out.size() < 16;) {
      auto j = s.find(':', i);
      if (j == std::string_view::npos) j = s.size();
      out.push_back(s.substr(i, j - i));
      i = j + 1;
    }
    return out;
  }
  static std::optional<std::int64_t> ToInt(std::string_view s) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
  }
};

}  // namespace boxoffice::fakes
