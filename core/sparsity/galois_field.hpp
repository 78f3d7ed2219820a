#pragma once
#include <cstdint>
#include <vector>

// Finite fields GF(p^m): elements are the integers 0..q-1, read as polynomials over GF(p) whose
// coefficients are the base-p digits (element 0 is zero, element 1 is one).
namespace iddl::sparsity {

// The prime p and exponent m with q = p^m; m = 0 when q is not a prime power.
struct PrimePower {
  int64_t prime = 0, exponent = 0;
};

// p and m of q = p^m, or exponent 0 when q (≥ 2) is not a prime power.
PrimePower prime_power(int64_t q);

// GF(q) with addition and multiplication tables, the product taken modulo the first monic
// irreducible polynomial of degree m over GF(p) (found by trial: the one without zero divisors).
class GaloisField {
 public:
  // Throws std::invalid_argument when q is not a prime power.
  explicit GaloisField(int64_t q);

  // The number of elements.
  int64_t order() const { return q_; }
  // a + b.
  int64_t add(int64_t a, int64_t b) const { return add_[a * q_ + b]; }
  // a * b.
  int64_t mul(int64_t a, int64_t b) const { return mul_[a * q_ + b]; }

 private:
  int64_t q_;
  std::vector<int64_t> add_, mul_;
};

}  // namespace iddl::sparsity
