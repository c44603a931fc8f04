#pragma once

#include <map>
#include <mutex>
#include <string>

#include "domain/ports/lease.hpp"

namespace boxoffice::fakes {

// A lease whose holders the test sets; unheld leases go to whoever asks. Each change of holder
// issues the next fencing token (1, 2, ...), as a real lease would.
class FakeLease : public domain::Lease {
 public:
  std::optional<std::int64_t> Hold(const std::string& name, const std::string& owner,
                                   domain::Instant, domain::Duration) override {
    std::lock_guard lock(mu_);
    auto [it, inserted] = holders_.try_emplace(name, Holder{owner, ++last_token_});
    if (it->second.owner != owner) return std::nullopt;
    return it->second.token;
  }
  void GiveTo(const std::string& name, const std::string& owner) {
    std::lock_guard lock(mu_);
    holders_[name] = Holder{owner, ++last_token_};
  }

 private:
  struct Holder {
    std::string owner;
    std::int64_t token = 0;
  };
  std::mutex mu_;
  std::int64_t last_token_ = 0;
  std::map<std::string, Holder> holders_;
};

}  // namespace boxoffice::fakes
