#include "interfaces/http/client_address.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace boxoffice::http {
namespace {

TEST(ClientAddress, WithoutTrustedProxiesTheHeaderIsIgnored) {
  const ClientAddressResolver resolver({});
  EXPECT_FALSE(resolver.Enabled());
  EXPECT_EQ(resolver.Resolve("10.0.0.5", "203.0.113.9"), "10.0.0.5");
}

TEST(ClientAddress, AnUntrustedPeerCannotClaimAnotherAddress) {
  const ClientAddressResolver resolver({"127.0.0.1"});
  EXPECT_EQ(resolver.Resolve("198.51.100.7", "203.0.113.9"), "198.51.100.7");
}

TEST(ClientAddress, BehindATrustedProxyTheClientIsTheLastUntrustedHop) {
  const ClientAddressResolver resolver({"127.0.0.1", "10.0.0.2"});
  EXPECT_TRUE(resolver.Enabled());
  EXPECT_EQ(resolver.Resolve("127.0.0.1", "203.0.113.9"), "203.0.113.9");
  // A client may send its own header: only what the trusted hops appended counts.
  EXPECT_EQ(resolver.Resolve("127.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.2"), "203.0.113.9");
  EXPECT_EQ(resolver.Resolve("127.0.0.1", " 203.0.113.9 ,10.0.0.2"), "203.0.113.9");
}

TEST(ClientAddress, NoHeaderOrOnlyProxiesLeavesTheLastProxy) {
  const ClientAddressResolver resolver({"127.0.0.1", "10.0.0.2"});
  EXPECT_EQ(resolver.Resolve("127.0.0.1", std::nullopt), "127.0.0.1");
  EXPECT_EQ(resolver.Resolve("127.0.0.1", ""), "127.0.0.1");
  EXPECT_EQ(resolver.Resolve("127.0.0.1", "10.0.0.2"), "10.0.0.2");
}

TEST(ClientAddress, AGarbledEntryStopsTheWalk) {
  const ClientAddressResolver resolver({"127.0.0.1", "10.0.0.2"});
  EXPECT_EQ(resolver.Resolve("127.0.0.1", "203.0.113.9, not-an-address, 10.0.0.2"), "10.0.0.2");
  EXPECT_EQ(resolver.Resolve("127.0.0.1", "unknown"), "127.0.0.1");
}

TEST(ClientAddress, AddressesCompareInCanonicalForm) {
  const ClientAddressResolver resolver({"::1", "127.0.0.1"});
  EXPECT_EQ(resolver.Resolve("::ffff:127.0.0.1", "2001:DB8::1"), "2001:db8::1");
  EXPECT_EQ(resolver.Resolve("::1", "::FFFF:203.0.113.9"), "203.0.113.9");
}

TEST(ClientAddress, ATrustedProxyMustBeAnAddress) {
  EXPECT_THROW(ClientAddressResolver({"proxy.local"}), std::invalid_argument);
  EXPECT_THROW(ClientAddressResolver({"10.0.0.0/8"}), std::invalid_argument);
}

}  // namespace
}  // namespace boxoffice::http
