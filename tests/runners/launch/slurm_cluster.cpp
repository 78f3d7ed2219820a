#include "tests/runners/launch/slurm_cluster.hpp"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "runners/launch/child_process.hpp"

namespace iddl::testing {
namespace {

namespace fs = std::filesystem;

// The path of a daemon or client: on PATH, else in /usr/sbin (not on every root PATH); "" when missing.
std::string find_program(const std::string& name) {
  std::stringstream folders(std::string(std::getenv("PATH") ? std::getenv("PATH") : "") + ":/usr/sbin:/sbin");
  for (std::string folder; std::getline(folders, folder, ':');)
    if (!folder.empty() && ::access((folder + "/" + name).c_str(), X_OK) == 0) return folder + "/" + name;
  return "";
}

// A TCP port nobody listens on now (the kernel's choice for port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("finding a free TCP port failed");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// Runs a client command to its end; its stdout, or throws naming `step` with its error.
std::string run(const std::string& step, const std::vector<std::string>& argv) {
  std::string out;
  const auto result = launch::run_child(argv, [&](const std::string& line) { out += line + "\n"; });
  if (result.exit_code != 0)
    throw std::runtime_error(step + ": '" + argv[0] + "' exited with code " + std::to_string(result.exit_code) + ": " +
                             result.stderr_tail + out);
  return out;
}

std::string tail(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string text;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) text += all[i] + "\n";
  return text;
}

}  // namespace

std::string slurm_cluster_unavailable_reason() {
  if (::geteuid() != 0) return "not root: slurmd must run as root and munged as the munge user";
  for (const char* program : {"munged", "slurmctld", "slurmd", "sbatch", "srun", "squeue", "scancel", "sinfo"})
    if (find_program(program).empty())
      return std::string("no '") + program + "' (Debian packages slurm-wlm and munge; scripts/setup.sh installs them)";
  if (::getpwnam("munge") == nullptr) return "no munge user (Debian package munge)";
  return "";
}

SlurmCluster::SlurmCluster() {
  char dir[] = "/tmp/iddl-slurm-XXXXXX";
  if (::mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed for the cluster's folder");
  dir_ = dir;
  ::chmod(dir, 0755);  // munged, as the munge user, must reach its own folder inside
  try {
    start_munged();
    write_conf();
    start_slurm_daemons();
    wait_until_idle();
  } catch (...) {
    stop_all();
    throw;
  }
}

SlurmCluster::~SlurmCluster() { stop_all(); }

pid_t SlurmCluster::spawn(const std::vector<std::string>& argv, const std::string& log, bool as_munge_user) {
  const passwd* munge = ::getpwnam("munge");
  const uid_t uid = munge ? munge->pw_uid : 0;
  const gid_t gid = munge ? munge->pw_gid : 0;
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed for " + argv[0]);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a test process that dies takes its daemons along
    ::setpgid(0, 0);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    if (as_munge_user && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) ::_exit(126);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  daemons_.push_back(pid);
  return pid;
}

void SlurmCluster::start_munged() {
  const fs::path munge = fs::path(dir_) / "munge";
  fs::create_directories(munge);
  const passwd* user = ::getpwnam("munge");
  if (user == nullptr) throw std::runtime_error("starting munged: no munge user");
  {
    std::ofstream key(munge / "munge.key", std::ios::binary);
    std::random_device random;
    for (int i = 0; i < 1024; ++i) key.put(static_cast<char>(random() & 0xff));
  }
  ::chmod((munge / "munge.key").c_str(), 0400);
  if (::chown((munge / "munge.key").c_str(), user->pw_uid, user->pw_gid) != 0 ||
      ::chown(munge.c_str(), user->pw_uid, user->pw_gid) != 0)
    throw std::runtime_error("starting munged: chown of its folder to the munge user failed");
  ::chmod(munge.c_str(), 0711);  // clients reach the socket; only munge reads the rest
  munge_socket_ = (munge / "munge.socket").string();
  spawn({find_program("munged"), "--foreground", "--socket=" + munge_socket_, "--key-file=" + (munge / "munge.key").string(),
         "--pid-file=" + (munge / "munged.pid").string(), "--log-file=" + (munge / "munged.log").string(),
         "--seed-file=" + (munge / "munged.seed").string()},
        (munge / "munged.out").string(), true);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!fs::exists(munge_socket_)) {
    int status = 0;
    if (::waitpid(daemons_.back(), &status, WNOHANG) == daemons_.back()) {
      daemons_.pop_back();
      throw std::runtime_error("starting munged: it exited: " + tail((munge / "munged.out").string(), 5));
    }
    if (std::chrono::steady_clock::now() > end) throw std::runtime_error("starting munged: no socket after 10 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void SlurmCluster::write_conf() {
  // slurmd -C: this host's name, CPUs, sockets, cores, threads and memory, as slurmd will find them.
  std::string node_line = run("slurmd -C", {find_program("slurmd"), "-C"});
  node_line = node_line.substr(0, node_line.find('\n'));
  if (node_line.rfind("NodeName=", 0) != 0) throw std::runtime_error("slurmd -C printed no NodeName line: " + node_line);
  node_ = node_line.substr(9, node_line.find(' ') - 9);
  for (const char* sub : {"state", "spool", "log"}) fs::create_directories(fs::path(dir_) / sub);
  conf_ = dir_ + "/slurm.conf";
  const int ctld_port = free_port();
  int slurmd_port = free_port();
  while (slurmd_port == ctld_port) slurmd_port = free_port();
  std::ofstream conf(conf_);
  conf << "# A throwaway single-node cluster of the IDDL tests (tests/runners/launch/slurm_cluster.cpp)\n"
       << "ClusterName=iddltest\nSlurmctldHost=" << node_ << "(127.0.0.1)\n"
       << "SlurmctldPort=" << ctld_port << "\nSlurmdPort=" << slurmd_port << "\n"
       << "SlurmUser=root\nSlurmdUser=root\n"
       << "AuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket=" << munge_socket_ << ",cred_expire=5\n"
       << "StateSaveLocation=" << dir_ << "/state\nSlurmdSpoolDir=" << dir_ << "/spool\n"
       << "SlurmctldPidFile=" << dir_ << "/slurmctld.pid\nSlurmdPidFile=" << dir_ << "/slurmd.pid\n"
       << "SlurmctldLogFile=" << dir_ << "/log/slurmctld.log\nSlurmdLogFile=" << dir_ << "/log/slurmd.log\n"
       << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
       << "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n"
       << "ReturnToService=2\nKillWait=5\n"
       // A requeued task waits cred_expire before it may start again; the scheduler then starts it within sched_interval.
       << "SchedulerParameters=sched_interval=2,bf_interval=2\n"
       << "AccountingStorageType=accounting_storage/none\nJobCompType=jobcomp/none\n"
       << node_line << " NodeAddr=127.0.0.1 State=UNKNOWN\n"
       << "PartitionName=debug Nodes=" << node_ << " Default=YES MaxTime=INFINITE State=UP\n";
  conf.close();
  // PMIx when this Slurm has the plugin (Debian's does), so that Open MPI ranks started by srun find each other.
  const std::string plugins = run("srun --mpi=list", {"env", "SLURM_CONF=" + conf_, find_program("srun"), "--mpi=list"});
  std::ofstream(conf_, std::ios::app) << "MpiDefault=" << (plugins.find("pmix") != std::string::npos ? "pmix" : "none")
                                      << "\n";
  // The PMIx plugin's per-step folders in the cluster's folder, not /tmp: another cluster's job 1 has the same name.
  fs::create_directories(fs::path(dir_) / "pmix");
  std::ofstream(dir_ + "/mpi.conf") << "PMIxCliTmpDirBase=" << dir_ << "/pmix\n";
}

void SlurmCluster::start_slurm_daemons() {
  spawn({find_program("slurmctld"), "-D", "-f", conf_}, dir_ + "/log/slurmctld.out", false);
  spawn({find_program("slurmd"), "-D", "-f", conf_}, dir_ + "/log/slurmd.out", false);
}

void SlurmCluster::wait_until_idle() {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string state;
  while (std::chrono::steady_clock::now() < end) {
    for (const pid_t pid : daemons_) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        daemons_.erase(std::find(daemons_.begin(), daemons_.end(), pid));
        throw std::runtime_error("a Slurm daemon exited while starting:\n" + log_tail());
      }
    }
    std::string out;
    launch::run_child({"env", "SLURM_CONF=" + conf_, find_program("sinfo"), "--noheader", "--nodes=" + node_, "--format=%T"},
                      [&](const std::string& line) { out += line; });
    state = out;
    if (state == "idle") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw std::runtime_error("waiting for the node to be idle in sinfo: still '" + state + "' after 30 s\n" + log_tail());
}

void SlurmCluster::stop_all() {
  if (!conf_.empty() && daemons_.size() == 3) {
    // Jobs a failed test left behind: their slurmstepd and ranks are not our children.
    std::string out;
    launch::run_child({"env", "SLURM_CONF=" + conf_, find_program("scancel"), "--user=root"}, [](const std::string&) {});
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    do {
      out.clear();
      launch::run_child({"env", "SLURM_CONF=" + conf_, find_program("squeue"), "--noheader", "--format=%i"},
                        [&](const std::string& line) { out += line; });
      if (out.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } while (std::chrono::steady_clock::now() < end);
  }
  for (auto it = daemons_.rbegin(); it != daemons_.rend(); ++it) {
    ::kill(*it, SIGTERM);
    int status = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (::waitpid(*it, &status, WNOHANG) != *it) {
      if (std::chrono::steady_clock::now() > end) {
        ::kill(*it, SIGKILL);
        ::waitpid(*it, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  daemons_.clear();
  std::error_code ignored;
  if (!dir_.empty()) fs::remove_all(dir_, ignored);
}

std::string SlurmCluster::log_tail() const {
  std::string text;
  for (const std::string log : {"/log/slurmctld.log", "/log/slurmctld.out", "/log/slurmd.log", "/log/slurmd.out",
                                "/munge/munged.log"})
    text += "--- " + dir_ + log + ":\n" + tail(dir_ + log, 8);
  return text;
}

}  // namespace iddl::testing
