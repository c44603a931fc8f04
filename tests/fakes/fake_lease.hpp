#pragma once

#include <map>
#include <mutex>
#include <string>

#include "domain/ports/lease.hpp"

namespace boxoffice::fakes {

// A lease whose holders the test sets; unheld leases go to whoever asks.
class FakeLease : public domain::Lease {
 public:
  bool Hold(const std::string& name, const std::string& owner, domain::Instant,
            domain::Duration) override {
    std::lock_guard lock(mu_);
    auto [it, inserted] = holders_.try_emplace(name, owner);
    return it->second == owner;
  }
  void GiveTo(const std::string& name, const std::string& owner) {
    std::lock_guard lock(mu_);
    holders_[name] = owner;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> holders_;
};

}  // namespace boxoffice::fakes
