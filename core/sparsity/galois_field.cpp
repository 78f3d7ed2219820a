#include "core/sparsity/galois_field.hpp"

#include <stdexcept>
#include <string>

namespace iddl::sparsity {

namespace {

// The base-p digits of `a` (m of them, lowest first).
std::vector<int64_t> digits(int64_t a, const PrimePower& pp) {
  std::vector<int64_t> d(pp.exponent);
  for (auto& x : d) {
    x = a % pp.prime;
    a /= pp.prime;
  }
  return d;
}

// The element whose base-p digits are `d`.
int64_t from_digits(const std::vector<int64_t>& d, const PrimePower& pp) {
  int64_t a = 0;
  for (auto it = d.rbegin(); it != d.rend(); ++it) a = a * pp.prime + *it;
  return a;
}

// a * b modulo the monic polynomial x^m + (low coefficients `modulus`, lowest first) over GF(p).
int64_t poly_mul(int64_t a, int64_t b, const std::vector<int64_t>& modulus, const PrimePower& pp) {
  const int64_t p = pp.prime, m = pp.exponent;
  const auto da = digits(a, pp), db = digits(b, pp);
  std::vector<int64_t> product(2 * m, 0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < m; ++j) product[i + j] = (product[i + j] + da[i] * db[j]) % p;
  for (int64_t top = 2 * m - 1; top >= m; --top) {  // x^top = -modulus · x^(top-m)
    const int64_t c = product[top];
    product[top] = 0;
    for (int64_t i = 0; i < m; ++i) product[top - m + i] = ((product[top - m + i] - c * modulus[i]) % p + p) % p;
  }
  product.resize(m);
  return from_digits(product, pp);
}

// The multiplication table of GF(p)[x] modulo `modulus`, or empty when it has zero divisors.
std::vector<int64_t> field_table(const std::vector<int64_t>& modulus, const PrimePower& pp, int64_t q) {
  std::vector<int64_t> table(q * q);
  for (int64_t a = 0; a < q; ++a)
    for (int64_t b = 0; b < q; ++b) {
      table[a * q + b] = poly_mul(a, b, modulus, pp);
      if (a != 0 && b != 0 && table[a * q + b] == 0) return {};
    }
  return table;
}

}  // namespace

PrimePower prime_power(int64_t q) {
  for (int64_t p = 2; p <= q; ++p) {
    if (q % p != 0) continue;
    int64_t m = 0, rest = q;
    for (; rest % p == 0; rest /= p) ++m;
    return rest == 1 ? PrimePower{p, m} : PrimePower{p, 0};
  }
  return {};
}

GaloisField::GaloisField(int64_t q) : q_(q), add_(q * q) {
  const PrimePower pp = prime_power(q);
  if (q < 2 || pp.exponent == 0) throw std::invalid_argument("GF(" + std::to_string(q) + "): not a prime power");
  for (int64_t a = 0; a < q; ++a)
    for (int64_t b = 0; b < q; ++b) {
      auto da = digits(a, pp);
      const auto db = digits(b, pp);
      for (int64_t i = 0; i < pp.exponent; ++i) da[i] = (da[i] + db[i]) % pp.prime;
      add_[a * q + b] = from_digits(da, pp);
    }
  for (int64_t low = 0; mul_.empty(); ++low) mul_ = field_table(digits(low, pp), pp, q);
}

}  // namespace iddl::sparsity
