#include "infrastructure/auth/jwt_token_service.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace boxoffice::infra {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "0123456789abcdef0123456789abcdef";
const domain::Instant kNow{std::chrono::seconds(1'800'000'000)};

std::string B64Url(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string Mac(const EVP_MD* md, const std::string& key, const std::string& data) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), buf, &len);
  return std::string(reinterpret_cast<char*>(buf), len);
}

// A token built by hand, so tests can forge exactly the defect they are about.
std::string Forge(const std::string& header, const std::string& payload,
                  const EVP_MD* md = EVP_sha256(), const std::string& key = kSecret) {
  const std::string input = B64Url(header) + "." + B64Url(payload);
  return input + "." + B64Url(Mac(md, key, input));
}

class JwtTokenServiceTest : public ::testing::Test {
 protected:
  JwtTokenService tokens_{kSecret, 1h, 2h};
};

TEST_F(JwtTokenServiceTest, AccessTokenRoundTrips) {
  const std::string token = tokens_.IssueAccess(domain::UserId{42}, kNow);
  const auto user = tokens_.VerifyAccess(token, kNow + 59min);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->value, 42);
}

TEST_F(JwtTokenServiceTest, QueueTokenRoundTrips) {
  const domain::QueueClaims claims{domain::UserId{7}, domain::ConcertId{3}, 123, 4};
  const auto verified = tokens_.VerifyQueue(tokens_.IssueQueue(claims, kNow), kNow + 1h);
  ASSERT_TRUE(verified.has_value());
  EXPECT_EQ(verified->user_id.value, 7);
  EXPECT_EQ(verified->concert_id.value, 3);
  EXPECT_EQ(verified->sequence, 123);
  EXPECT_EQ(verified->generation, 4);
}

TEST_F(JwtTokenServiceTest, TokenHasThreeUnpaddedBase64UrlSegments) {
  const std::string token = tokens_.IssueAccess(domain::UserId{1}, kNow);
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
      std::string::npos);
}

TEST_F(JwtTokenServiceTest, HandForgedValidTokenIsAccepted) {
  // Guards the forging helper itself: otherwise the rejections below would prove nothing.
  const auto token = Forge(R"({"alg":"HS256","typ":"JWT"})",
                           R"({"sub":"5","typ":"access","iat":1,"exp":1900000000})");
  ASSERT_TRUE(tokens_.VerifyAccess(token, kNow).has_value());
}

TEST_F(JwtTokenServiceTest, ExpiredTokenIsRejected) {
  const std::string token = tokens_.IssueAccess(domain::UserId{1}, kNow);
  EXPECT_FALSE(tokens_.VerifyAccess(token, kNow + 1h).has_value());
  EXPECT_FALSE(tokens_.VerifyAccess(token, kNow + 2h).has_value());
}

TEST_F(JwtTokenServiceTest, WrongSecretIsRejected) {
  JwtTokenService other{"another-secret-another-secret-xx", 1h, 2h};
  EXPECT_FALSE(tokens_.VerifyAccess(other.IssueAccess(domain::UserId{1}, kNow), kNow));
}

TEST_F(JwtTokenServiceTest, AlgNoneIsRejected) {
  const std::string payload = R"({"sub":"5","typ":"access","iat":1,"exp":1900000000})";
  const std::string unsigned_token =
      B64Url(R"({"alg":"none","typ":"JWT"})") + "." + B64Url(payload) + ".";
  EXPECT_FALSE(tokens_.VerifyAccess(unsigned_token, kNow).has_value());
  EXPECT_FALSE(tokens_.VerifyAccess(Forge(R"({"alg":"none"})", payload), kNow).has_value());
}

TEST_F(JwtTokenServiceTest, Hs512WithTheSameSecretIsRejected) {
  const auto token = Forge(R"({"alg":"HS512","typ":"JWT"})",
                           R"({"sub":"5","typ":"access","iat":1,"exp":1900000000})", EVP_sha512());
  EXPECT_FALSE(tokens_.VerifyAccess(token, kNow).has_value());
}

TEST_F(JwtTokenServiceTest, TamperedPayloadIsRejected) {
  const std::string token = tokens_.IssueAccess(domain::UserId{1}, kNow);
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  const std::string forged_payload =
      B64Url(R"({"sub":"2","typ":"access","iat":1,"exp":1900000000})");
  const std::string tampered = token.substr(0, first + 1) + forged_payload + token.substr(second);
  EXPECT_FALSE(tokens_.VerifyAccess(tampered, kNow).has_value());
}

TEST_F(JwtTokenServiceTest, TamperedSignatureIsRejected) {
  std::string token = tokens_.IssueAccess(domain::UserId{1}, kNow);
  token[token.size() - 2] = token[token.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens_.VerifyAccess(token, kNow).has_value());
  const std::string truncated = token.substr(0, token.size() - 4);
  EXPECT_FALSE(tokens_.VerifyAccess(truncated, kNow).has_value());
}

TEST_F(JwtTokenServiceTest, WrongTypeIsRejected) {
  const std::string access = tokens_.IssueAccess(domain::UserId{1}, kNow);
  EXPECT_FALSE(tokens_.VerifyQueue(access, kNow).has_value());
  const std::string queue =
      tokens_.IssueQueue({domain::UserId{1}, domain::ConcertId{1}, 1, 1}, kNow);
  EXPECT_FALSE(tokens_.VerifyAccess(queue, kNow).has_value());
}

TEST_F(JwtTokenServiceTest, NonPositiveOrMalformedSubjectIsRejected) {
  for (const char* sub :
       {R"("0")", R"("-3")", R"("abc")", R"(5)", R"("05")", R"("")", R"("99999999999999999999")"}) {
    const auto token =
        Forge(R"({"alg":"HS256","typ":"JWT"})",
              std::string(R"({"sub":)") + sub + R"(,"typ":"access","iat":1,"exp":1900000000})");
    EXPECT_FALSE(tokens_.VerifyAccess(token, kNow).has_value()) << sub;
  }
}

TEST_F(JwtTokenServiceTest, MissingOrNonNumericExpiryIsRejected) {
  for (const char* exp : {"", R"(,"exp":"1900000000")", R"(,"exp":1.9e9)"}) {
    const auto token = Forge(R"({"alg":"HS256","typ":"JWT"})",
                             std::string(R"({"sub":"5","typ":"access","iat":1)") + exp + "}");
    EXPECT_FALSE(tokens_.VerifyAccess(token, kNow).has_value()) << exp;
  }
}

TEST_F(JwtTokenServiceTest, GarbageIsRejectedWithoutThrowing) {
  const std::string valid = tokens_.IssueAccess(domain::UserId{1}, kNow);
  const auto last_dot = valid.rfind('.');
  for (const std::string& garbage :
       {std::string(), std::string("."), std::string(".."), std::string("a.b.c"),
        std::string("not a token"), valid.substr(0, last_dot), valid + ".extra",
        valid.substr(0, last_dot) + ".!!!!", std::string("\0\0.\xff.\x80", 7),
        B64Url("[1,2]") + "." + B64Url("{}") + ".sig", Forge(R"({"alg":"HS256"})", "not json"),
        Forge(R"({"alg":"HS256"})", "[]")}) {
    EXPECT_NO_THROW({ EXPECT_FALSE(tokens_.VerifyAccess(garbage, kNow).has_value()); });
    EXPECT_NO_THROW({ EXPECT_FALSE(tokens_.VerifyQueue(garbage, kNow).has_value()); });
  }
}

TEST_F(JwtTokenServiceTest, TwoSegmentTokenIsRejected) {
  const std::string token = tokens_.IssueAccess(domain::UserId{1}, kNow);
  EXPECT_FALSE(tokens_.VerifyAccess(token.substr(0, token.rfind('.')), kNow).has_value());
}

TEST_F(JwtTokenServiceTest, AnHs256HeaderOfAnotherSpellingIsAcceptedAndAnotherTypIsNot) {
  const std::string payload = R"({"sub":"5","typ":"access","iat":1,"exp":1900000000})";
  EXPECT_TRUE(tokens_.VerifyAccess(Forge(R"({"typ":"JWT","alg":"HS256"})", payload), kNow));
  EXPECT_TRUE(tokens_.VerifyAccess(Forge(R"({"alg":"HS256"})", payload), kNow));
  EXPECT_FALSE(tokens_.VerifyAccess(Forge(R"({"alg":"HS256","typ":"JWS"})", payload), kNow));
  EXPECT_FALSE(tokens_.VerifyAccess(Forge(R"({"alg":"HS256","typ":1})", payload), kNow));
}

TEST_F(JwtTokenServiceTest, TheSignatureIsHmacSha256OfTheFirstTwoSegments) {
  for (int i = 0; i < 3; ++i) {  // the second and third MACs reuse the thread's keyed context
    const std::string token = tokens_.IssueAccess(domain::UserId{i + 1}, kNow);
    const auto last_dot = token.rfind('.');
    EXPECT_EQ(token.substr(last_dot + 1),
              B64Url(Mac(EVP_sha256(), kSecret, token.substr(0, last_dot))));
  }
}

// Each thread keeps one HMAC context, keyed for the last service that used it. Services with
// different secrets taking turns on the same threads, and services made and dropped meanwhile,
// must each sign with their own key and accept only their own tokens.
TEST(JwtTokenServiceThreads, ServicesTakingTurnsOnSharedThreadsKeepTheirOwnKeys) {
  JwtTokenService first{"first-secret-first-secret-first-s", 1h, 2h};
  JwtTokenService second{"second-secret-second-secret-secon", 1h, 2h};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const domain::UserId user{t * 1000 + i + 1};
        const std::string a = first.IssueAccess(user, kNow);
        const std::string b = second.IssueAccess(user, kNow);
        JwtTokenService passing{"passing-secret-" + std::to_string(i) + "-0123456789abcdef", 1h,
                                2h};
        const std::string c = passing.IssueAccess(user, kNow);
        const bool ok = first.VerifyAccess(a, kNow) == user && !first.VerifyAccess(b, kNow) &&
                        second.VerifyAccess(b, kNow) == user && !second.VerifyAccess(c, kNow) &&
                        passing.VerifyAccess(c, kNow) == user && !passing.VerifyAccess(a, kNow);
        if (!ok) wrong.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(JwtTokenServiceConstruction, EmptySecretThrows) {
  EXPECT_THROW(JwtTokenService("", std::chrono::hours(1), std::chrono::hours(1)),
               std::invalid_argument);
}

}  // namespace
}  // namespace boxoffice::infra
