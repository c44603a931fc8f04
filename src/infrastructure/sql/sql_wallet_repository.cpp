#include <soci/soci.h>

#include <unordered_map>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

// Creating an existing wallet changes nothing, and is no error: the insert may be held back
// (DeferredWrites), where nothing could answer one.
constexpr const char* kInsertWallet =
    "INSERT INTO wallet (user_id, balance, created_at, updated_at) VALUES (:user, 0, :now, :now) "
    "ON CONFLICT (user_id) DO NOTHING";
constexpr const char* kInsertWalletMysql =
    "INSERT INTO wallet (user_id, balance, created_at, updated_at) VALUES (:user, 0, :now, :now) "
    "ON DUPLICATE KEY UPDATE user_id = user_id";
constexpr const char* kSelectBalance = "SELECT balance FROM wallet WHERE user_id = :user";
constexpr const char* kCredit =
    "UPDATE wallet SET balance = balance + :amount, updated_at = :now "
    "WHERE user_id = :user AND balance <= :max - :amount";
constexpr const char* kDebit =
    "UPDATE wallet SET balance = balance - :amount, updated_at = :now "
    "WHERE user_id = :user AND balance >= :amount";
constexpr const char* kInsertEntry =
    "INSERT INTO wallet_transaction (user_id, type, amount, idempotency_key, created_at) "
    "VALUES (:user, :type, :amount, :key, :at)";
constexpr const char* kInsertEntryWithoutKey =
    "INSERT INTO wallet_transaction (user_id, type, amount, idempotency_key, created_at) "
    "VALUES (:user, :type, :amount, NULL, :at)";
constexpr const char* kSelectEntryByKey =
    "SELECT id, type, amount, created_at FROM wallet_transaction "
    "WHERE user_id = :user AND idempotency_key = :key";
constexpr const char* kSelectEntries =
    "SELECT id, type, amount, idempotency_key, created_at FROM wallet_transaction "
    "WHERE user_id = :user ORDER BY id DESC LIMIT :limit";
constexpr const char* kLedgerSum =
    "SELECT COALESCE(SUM(amount), 0) FROM wallet_transaction WHERE user_id = :user";

}  // namespace

void SqlWalletRepository::Create(domain::UserId user, domain::Instant now) {
  RunOrDefer(dialect_.Pick(kInsertWallet, kInsertWalletMysql),
             {{"user", user.value}, {"now", sql::ToMs(now)}});
}

void SqlWalletRepository::CreateAll(std::span<const domain::UserId> users, domain::Instant now) {
  // Held with the transaction's next statement where it can be (MySQL); elsewhere one at a
  // time, so that texts of every batch size do not pass through the statement cache.
  if (!deferred_) {
    WalletRepository::CreateAll(users, now);
    return;
  }
  if (users.empty()) return;
  // The single form's statement with one row per user: its VALUES list is the last before the
  // conflict clause.
  const std::string_view single = dialect_.Pick(kInsertWallet, kInsertWalletMysql);
  const std::string_view row = "(:user, 0, :now, :now)";
  const auto at = single.find(row);
  std::string sql(single.substr(0, at));
  sql::Params params{{"now", sql::ToMs(now)}};
  for (std::size_t i = 0; i < users.size(); ++i) {
    const std::string n = std::to_string(i);
    sql += (i > 0 ? ",(:u" : "(:u") + n + ", 0, :now, :now)";
    params.push_back({"u" + n, users[i].value});
  }
  sql += single.substr(at + row.size());
  RunOrDefer(sql, params);
}

std::optional<domain::Money> SqlWalletRepository::Balance(domain::UserId user) {
  // After held writes (a charge's credit and entry), in the same round trip.
  if (deferred_ && !deferred_->empty()) {
    auto balance = deferred_->SendWithValue(kSelectBalance, {{"user", user.value}});
    if (!balance) return std::nullopt;
    return domain::Money{*balance};
  }
  domain::Money balance;
  if (!Run(kSelectBalance, soci::use(user.value, "user"), soci::into(balance.won))) {
    return std::nullopt;
  }
  return balance;
}

bool SqlWalletRepository::Credit(domain::UserId user, domain::Money amount,
                                 domain::Money max_balance, domain::Instant now) {
  return RunExpecting(kCredit,
                      {{"amount", amount.won},
                       {"now", sql::ToMs(now)},
                       {"user", user.value},
                       {"max", max_balance.won}},
                      1) > 0;
}

bool SqlWalletRepository::Debit(domain::UserId user, domain::Money amount, domain::Instant now) {
  return RunExpecting(kDebit,
                      {{"amount", amount.won}, {"now", sql::ToMs(now)}, {"user", user.value}},
                      1) > 0;
}

namespace {

// The entry's values and the statement that inserts them.
std::pair<const char*, sql::Params> EntryInsert(const domain::WalletEntry& entry) {
  sql::Params params{{"user", entry.user_id.value},
                     {"type", sql::ToText(entry.type)},
                     {"amount", entry.amount.won},
                     {"at", sql::ToMs(entry.created_at)}};
  if (!entry.idempotency_key) return {kInsertEntryWithoutKey, std::move(params)};
  params.push_back({"key", *entry.idempotency_key});
  return {kInsertEntry, std::move(params)};
}

}  // namespace

std::optional<std::int64_t> SqlWalletRepository::AppendEntry(const domain::WalletEntry& entry) {
  auto [sql, params] = EntryInsert(entry);
  return InsertEntry(sql, params);
}

std::optional<std::int64_t> SqlWalletRepository::InsertEntry(const char* sql,
                                                             const sql::Params& params) {
  try {
    return InsertForId(sql, params);  // with the held writes before it, if any
  } catch (const soci::soci_error& e) {
    if (dialect_.IsUniqueViolation(e)) return std::nullopt;
    throw;
  }
}

bool SqlWalletRepository::AddEntry(const domain::WalletEntry& entry) {
  // A key already on the ledger is found by the run without assuming, through AppendEntry.
  auto [sql, params] = EntryInsert(entry);
  return HoldAssumingNew(sql, params) || InsertEntry(sql, params).has_value();
}

namespace {

// One UPDATE of every wallet in `changes`, and its values: each balance moves by its own
// amount (`sign` '+' or '-') where `condition` holds, "{amount}" in it standing for that amount.
std::pair<std::string, sql::Params> WalletsUpdate(std::span<const domain::WalletAmount> changes,
                                                  char sign, std::string_view condition,
                                                  domain::Instant now) {
  std::string users;
  std::string amount = "CASE user_id";
  sql::Params params{{"now", sql::ToMs(now)}};
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const std::string n = std::to_string(i);
    users += (i > 0 ? ",:u" : ":u") + n;
    amount += " WHEN :u" + n + " THEN :a" + n;
    params.push_back({"u" + n, changes[i].user.value});
    params.push_back({"a" + n, changes[i].amount.won});
  }
  amount += " END";
  std::string where(condition);
  where.replace(where.find("{amount}"), 8, amount);
  return {"UPDATE wallet SET balance = balance " + std::string(1, sign) + " " + amount +
              ", updated_at = :now WHERE user_id IN (" + users + ") AND " + where,
          std::move(params)};
}

// One INSERT of every entry's ledger row, and its values.
std::pair<std::string, sql::Params> EntriesInsert(std::span<const domain::WalletEntry> entries) {
  std::string sql =
      "INSERT INTO wallet_transaction (user_id, type, amount, idempotency_key, created_at) "
      "VALUES ";
  sql::Params params;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& entry = entries[i];
    const std::string n = std::to_string(i);
    sql += (i > 0 ? ",(:u" : "(:u") + n + ", :t" + n + ", :m" + n + ", " +
           (entry.idempotency_key ? ":k" + n : std::string("NULL")) + ", :at" + n + ")";
    params.push_back({"u" + n, entry.user_id.value});
    params.push_back({"t" + n, sql::ToText(entry.type)});
    params.push_back({"m" + n, entry.amount.won});
    if (entry.idempotency_key) params.push_back({"k" + n, *entry.idempotency_key});
    params.push_back({"at" + n, sql::ToMs(entry.created_at)});
  }
  return {std::move(sql), std::move(params)};
}

}  // namespace

bool SqlWalletRepository::CreditAll(std::span<const domain::WalletAmount> credits,
                                    domain::Money max_balance, domain::Instant now) {
  // Each wallet gains its own amount under the same limit as Credit's.
  auto [sql, params] = WalletsUpdate(credits, '+', "balance <= :max - {amount}", now);
  params.push_back({"max", max_balance.won});
  return credits.empty() || RunExpectingOnce(sql, params, static_cast<long long>(credits.size()));
}

bool SqlWalletRepository::DebitAll(std::span<const domain::WalletAmount> debits,
                                   domain::Instant now) {
  // Each wallet loses its own amount, only where it has that much, as Debit's.
  const auto [sql, params] = WalletsUpdate(debits, '-', "balance >= {amount}", now);
  return debits.empty() || RunExpectingOnce(sql, params, static_cast<long long>(debits.size()));
}

std::optional<std::vector<std::int64_t>> SqlWalletRepository::AppendEntries(
    std::span<const domain::WalletEntry> entries) {
  const std::int64_t step = dialect_.InsertIdStep();
  if (entries.size() < 2 || step == 0) return WalletRepository::AppendEntries(entries);
  try {
    const auto [sql, params] = EntriesInsert(entries);
    RunCountedOnce(sql, params);
  } catch (const soci::soci_error& e) {
    if (dialect_.IsUniqueViolation(e)) return std::nullopt;
    throw;
  }
  // Numbered consecutively from LastInsertId (ADR 0021).
  const std::int64_t first = dialect_.LastInsertId(session_);
  std::vector<std::int64_t> ids;
  ids.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    ids.push_back(first + static_cast<std::int64_t>(i) * step);
  }
  return ids;
}

bool SqlWalletRepository::AddEntries(std::span<const domain::WalletEntry> entries) {
  if (entries.empty()) return true;
  const auto [sql, params] = EntriesInsert(entries);
  // As AddEntry: a key already on the ledger is found by the run without assuming.
  if (HoldAssumingNew(sql, params)) return true;
  try {
    RunCountedOnce(sql, params);
    return true;
  } catch (const soci::soci_error& e) {
    if (dialect_.IsUniqueViolation(e)) return false;
    throw;
  }
}

std::vector<std::optional<domain::Money>> SqlWalletRepository::Balances(
    std::span<const domain::UserId> users) {
  sql::InList list("u", users);
  std::unordered_map<std::int64_t, domain::Money> found;
  if (!list.empty()) {
    std::int64_t user = 0;
    domain::Money balance;
    sql::Statement st = PrepareInList(
        sql::WithInList("SELECT user_id, balance FROM wallet WHERE user_id IN ({in})", list), list);
    list.BindTo(st);
    st.Bind(soci::into(user), soci::into(balance.won));
    st.Execute(false);
    while (st.Fetch()) found.emplace(user, balance);
  }
  return sql::InOrderOf(users, found);
}

std::optional<domain::WalletEntry> SqlWalletRepository::FindEntryByKey(domain::UserId user,
                                                                       const std::string& key) {
  domain::WalletEntry entry{.user_id = user, .idempotency_key = key};
  std::string type;
  std::int64_t at = 0;
  if (!Run(kSelectEntryByKey, soci::use(user.value, "user"), soci::use(key, "key"),
           soci::into(entry.id), soci::into(type), soci::into(entry.amount.won), soci::into(at))) {
    return std::nullopt;
  }
  entry.type = sql::WalletEntryTypeFrom(type);
  entry.created_at = sql::FromMs(at);
  return entry;
}

std::vector<domain::WalletEntry> SqlWalletRepository::ListEntries(domain::UserId user, int limit) {
  if (limit <= 0) return {};
  domain::WalletEntry row{.user_id = user};
  std::string type;
  std::string key;
  soci::indicator key_ind = soci::i_null;
  std::int64_t at = 0;
  sql::Statement st = Prepare(kSelectEntries);
  st.Bind(soci::use(user.value, "user"), soci::use(limit, "limit"), soci::into(row.id),
          soci::into(type), soci::into(row.amount.won), soci::into(key, key_ind), soci::into(at));
  st.Execute(false);
  std::vector<domain::WalletEntry> out;
  while (st.Fetch()) {
    row.type = sql::WalletEntryTypeFrom(type);
    row.idempotency_key = key_ind == soci::i_ok ? std::optional<std::string>(key) : std::nullopt;
    row.created_at = sql::FromMs(at);
    out.push_back(row);
  }
  return out;
}

domain::Money SqlWalletRepository::LedgerSum(domain::UserId user) {
  long long sum = 0;
  Run(kLedgerSum, soci::use(user.value, "user"), soci::into(sum));
  return domain::Money{sum};
}

}  // namespace boxoffice::infra
