#include <gtest/gtest.h>
#include <soci/soci.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>

#include "contract/sql_backends.hpp"
#include "domain/errors.hpp"
#include "infrastructure/sql/sql_database.hpp"

namespace boxoffice::contract {
namespace {

using domain::Store;

TEST(MysqlDatabase, MalformedUrlsAreRefusedBeforeConnecting) {
  for (const char* url : {"", "postgres://u:p@127.0.0.1:5432/db", "mysql://127.0.0.1:3306/",
                          "mysql://127.0.0.1:3306/a/b", "mysql:///db"}) {
    infra::MysqlSettings settings{.url = url};
    EXPECT_THROW(infra::OpenMysql(settings), std::invalid_argument) << url;
  }
}

// Against BOXOFFICE_TEST_MYSQL_URL: a database of its own, and a raw connection beside the pool.
class MysqlDatabaseTest : public testing::Test {
 protected:
  void SetUp() override {
    auto url = TestMysqlUrl();
    if (!url) GTEST_SKIP() << "set BOXOFFICE_TEST_MYSQL_URL to run the MySQL adapter tests";
    std::smatch m;
    static const std::regex kUrl(R"(mysql://([^:@/]+):([^@/]*)@([^:/]+):(\d+)/(\w+))");
    ASSERT_TRUE(std::regex_match(*url, m, kUrl)) << "this test needs user:password@host:port";
    name_ = m[5].str() + "_conn" + std::to_string(getpid());
    admin_.url = *url;
    infra::RecreateMysqlDatabase(admin_, name_);
    settings_.url = url->substr(0, url->rfind('/') + 1) + name_;
    settings_.pool_size = 1;
    infra::MigrateMysql(settings_);
    raw_ = std::make_unique<soci::session>(
        "mysql", "host=" + m[3].str() + " port=" + m[4].str() + " user=" + m[1].str() +
                     " password=" + m[2].str() + " dbname=" + name_);
  }
  void TearDown() override {
    raw_.reset();
    if (!name_.empty()) infra::DropMysqlDatabase(admin_, name_);
  }

  // Kills every connection of the test database but the raw one, as a server restart would.
  int KillPooledConnections() {
    long long id = 0;
    std::vector<long long> ids;
    soci::statement st = (raw_->prepare << "SELECT ID FROM information_schema.PROCESSLIST "
                                           "WHERE DB = :db AND ID <> CONNECTION_ID()",
                          soci::use(name_, "db"), soci::into(id));
    st.execute();
    while (st.fetch()) ids.push_back(id);
    for (long long killed : ids) *raw_ << "KILL CONNECTION " + std::to_string(killed);
    return static_cast<int>(ids.size());
  }

  std::string name_;
  infra::MysqlSettings admin_;
  infra::MysqlSettings settings_;
  std::unique_ptr<soci::session> raw_;
};

TEST_F(MysqlDatabaseTest, ALostConnectionIsReconnectedBeforeItsNextUse) {
  auto db = infra::OpenMysql(settings_);
  auto create = [&] {
    return db->Write([&](Store& s) {
      return domain::Result<domain::UserId>(s.Users().Create("kim", At(0)).id);
    });
  };
  ASSERT_TRUE(create().ok());
  ASSERT_EQ(KillPooledConnections(), 1);

  // The first use finds the connection dead: answered as unavailable (503), never a crash.
  try {
    (void)create();
  } catch (const domain::UnavailableError&) {
  }
  // The pool's only connection was reconnected, with its session settings, before this use.
  auto again = create();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(db->Ping());
  // Ping too marks a dead connection for reconnection.
  EXPECT_EQ(KillPooledConnections(), 1);
  EXPECT_FALSE(db->Ping());
  EXPECT_TRUE(db->Ping());
}

}  // namespace
}  // namespace boxoffice::contract
