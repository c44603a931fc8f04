#include <soci/soci.h>

#include "infrastructure/sql/sql_repositories.hpp"
#include "infrastructure/sql/sql_util.hpp"

namespace boxoffice::infra {
namespace {

constexpr const char* kInsertPayment =
    "INSERT INTO payment (user_id, reservation_id, wallet_transaction_id, amount, status, "
    "method, paid_at, created_at) "
    "VALUES (:user, :reservation, :entry, :amount, :status, 'WALLET', :paid, :now)";
constexpr const char* kSelectByReservation =
    "SELECT id, user_id, reservation_id, wallet_transaction_id, amount, status, paid_at "
    "FROM payment WHERE reservation_id = :key";
constexpr const char* kSelectByUser =
    "SELECT id, user_id, reservation_id, wallet_transaction_id, amount, status, paid_at "
    "FROM payment WHERE user_id = :key ORDER BY paid_at DESC, id DESC";

}  // namespace

std::optional<domain::Payment> SqlPaymentRepository::Create(const domain::Payment& payment,
                                                            domain::Instant now) {
  const std::string status = sql::ToText(payment.status);
  // A payment the caller did not time is paid now.
  const domain::Instant paid_at = payment.paid_at == domain::Instant{} ? now : payment.paid_at;
  const std::int64_t paid = sql::ToMs(paid_at);
  const std::int64_t at = sql::ToMs(now);
  try {
    Run(kInsertPayment, soci::use(payment.user_id.value, "user"),
        soci::use(payment.reservation_id.value, "reservation"),
        soci::use(payment.wallet_entry_id, "entry"), soci::use(payment.amount.won, "amount"),
        soci::use(status, "status"), soci::use(paid, "paid"), soci::use(at, "now"));
  } catch (const soci::soci_error& e) {
    if (dialect_.IsUniqueViolation(e)) return std::nullopt;
    throw;
  }
  domain::Payment out = payment;
  out.id = domain::PaymentId{dialect_.LastInsertId(session_)};
  out.paid_at = paid_at;
  return out;
}

std::optional<std::vector<domain::Payment>> SqlPaymentRepository::CreateAll(
    std::span<const domain::Payment> payments, domain::Instant now) {
  const std::int64_t step = dialect_.InsertIdStep();
  if (payments.size() < 2 || step == 0) return PaymentRepository::CreateAll(payments, now);
  // One statement for all, numbered consecutively from LastInsertId (ADR 0021).
  std::string sql =
      "INSERT INTO payment (user_id, reservation_id, wallet_transaction_id, amount, status, "
      "method, paid_at, created_at) VALUES ";
  sql::Params params{{"now", sql::ToMs(now)}};
  std::vector<domain::Payment> out(payments.begin(), payments.end());
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto& p = out[i];
    // A payment the caller did not time is paid now, as in Create.
    if (p.paid_at == domain::Instant{}) p.paid_at = now;
    const std::string n = std::to_string(i);
    sql += (i > 0 ? ",(:u" : "(:u") + n + ", :r" + n + ", :e" + n + ", :a" + n + ", :s" + n +
           ", 'WALLET', :p" + n + ", :now)";
    params.push_back({"u" + n, p.user_id.value});
    params.push_back({"r" + n, p.reservation_id.value});
    params.push_back({"e" + n, p.wallet_entry_id});
    params.push_back({"a" + n, p.amount.won});
    params.push_back({"s" + n, sql::ToText(p.status)});
    params.push_back({"p" + n, sql::ToMs(p.paid_at)});
  }
  try {
    RunCountedOnce(sql, params);
  } catch (const soci::soci_error& e) {
    if (dialect_.IsUniqueViolation(e)) return std::nullopt;  // a reservation paid already
    throw;
  }
  const std::int64_t first = dialect_.LastInsertId(session_);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].id = domain::PaymentId{first + static_cast<std::int64_t>(i) * step};
  }
  return out;
}

std::vector<domain::Payment> SqlPaymentRepository::Query(const char* sql, std::int64_t key) {
  domain::Payment row;
  std::string status;
  std::int64_t paid = 0;
  sql::Statement st = Prepare(sql);
  st.Bind(soci::use(key, "key"), soci::into(row.id.value), soci::into(row.user_id.value),
          soci::into(row.reservation_id.value), soci::into(row.wallet_entry_id),
          soci::into(row.amount.won), soci::into(status), soci::into(paid));
  st.Execute(false);
  std::vector<domain::Payment> out;
  while (st.Fetch()) {
    row.status = sql::PaymentStatusFrom(status);
    row.paid_at = sql::FromMs(paid);
    out.push_back(row);
  }
  return out;
}

std::optional<domain::Payment> SqlPaymentRepository::FindByReservation(domain::ReservationId id) {
  auto rows = Query(kSelectByReservation, id.value);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::vector<domain::Payment> SqlPaymentRepository::ListByUser(domain::UserId user) {
  return Query(kSelectByUser, user.value);
}

}  // namespace boxoffice::infra
