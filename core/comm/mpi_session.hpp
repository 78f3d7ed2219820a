#pragma once
#include <string>

namespace iddl::comm {

// Initializes MPI for the lifetime of the object and finalizes it afterwards.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  // Ends every rank of the job with `code` (for errors seen on one rank only).
  [[noreturn]] static void abort(int code);
  // The MPI library's version string, e.g. "Open MPI v4.1.4".
  static std::string library_version();

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace iddl::comm
