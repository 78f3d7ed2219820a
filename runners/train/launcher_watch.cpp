#include "runners/train/launcher_watch.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <thread>

namespace iddl::runners {

void stop_when_launcher_exits() {
  const char* pid_text = std::getenv(kLauncherPidVariable);
  const char* host = std::getenv(kLauncherHostVariable);
  if (pid_text == nullptr || host == nullptr) return;
  char here[256] = {};
  if (::gethostname(here, sizeof here - 1) != 0 || std::string(here) != host) return;  // another host's pid
  const pid_t launcher = static_cast<pid_t>(std::atol(pid_text));
  if (launcher <= 1) return;
  const int watched = static_cast<int>(::syscall(SYS_pidfd_open, launcher, 0));
  if (watched < 0) {
    if (errno == ESRCH) ::kill(::getpid(), SIGTERM);  // gone before we looked
    return;                                           // a kernel without pidfd_open: mpirun stops us, later
  }
  std::thread([watched] {
    pollfd exited{watched, POLLIN, 0};
    while (::poll(&exited, 1, -1) < 0 && errno == EINTR) {
    }
    ::kill(::getpid(), SIGTERM);
  }).detach();
}

}  // namespace iddl::runners
