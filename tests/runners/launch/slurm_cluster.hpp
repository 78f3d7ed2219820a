#pragma once
// A throwaway single-node Slurm cluster for the tests: munged, slurmctld and slurmd in a temporary folder.
#include <sys/types.h>

#include <string>
#include <vector>

namespace iddl::testing {

// munged (own key, socket and pid file, as the munge user), slurmctld and slurmd (a generated slurm.conf: free
// ports, one node named after this host with its CPUs and memory, linuxproc/none/cons_tres plugins, SlurmUser=root),
// each started in the foreground as a child that dies with this process. The constructor waits until sinfo shows
// the node idle and throws std::runtime_error naming the failing step; the destructor cancels the cluster's jobs
// and stops every daemon it started by its pid.
class SlurmCluster {
 public:
  SlurmCluster();
  ~SlurmCluster();
  SlurmCluster(const SlurmCluster&) = delete;
  SlurmCluster& operator=(const SlurmCluster&) = delete;

  // The generated slurm.conf: the clients find the cluster through SLURM_CONF.
  const std::string& conf() const { return conf_; }
  // The node's name (this host's).
  const std::string& node() const { return node_; }
  // The last lines of the daemons' logs, for a failure message.
  std::string log_tail() const;

 private:
  void start_munged();
  void write_conf();
  void start_slurm_daemons();
  void wait_until_idle();
  pid_t spawn(const std::vector<std::string>& argv, const std::string& log, bool as_munge_user);
  void stop_all();

  std::string dir_, conf_, node_, munge_socket_;
  std::vector<pid_t> daemons_;  // in start order; stopped in reverse
};

// Whether this process may start a cluster: root, and the daemons on PATH; otherwise why not.
std::string slurm_cluster_unavailable_reason();

}  // namespace iddl::testing
