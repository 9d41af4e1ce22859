// Running text_classifier (found in EMBER_APPS_DIR, set by tests/CMakeLists.txt) as a child
// process: to completion, or started and later killed with SIGKILL; plus a private scratch folder.
#pragma once

#include "tests/apps/app_process.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ember::testing {

struct AppResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string output;  // stdout and stderr together
};

using app_process::read_text;

// A private temporary folder, removed with its contents at scope exit; `dir / "name"` is a path in it.
class ScratchFolder : public app_process::Scratch {
 public:
  std::string operator/(const std::string& name) const { return path(name); }
};

// Starts `text_classifier args...` with stdout and stderr going to `log_path`; returns its pid.
inline pid_t start_text_classifier(const std::vector<std::string>& args, const std::string& log_path) {
  const std::string program = std::string(EMBER_APPS_DIR) + "/text_classifier";
  std::vector<std::string> storage{program};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (log < 0) throw std::runtime_error("cannot open " + log_path);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    const int null_in = ::open("/dev/null", O_RDONLY);
    ::dup2(null_in, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log);
  return pid;
}

inline int wait_exit_code(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// True once the child has exited (without reaping it: wait_exit_code still gets its status).
inline bool has_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

inline AppResult run_text_classifier(const std::vector<std::string>& args) {
  ScratchFolder scratch;
  const std::string log = scratch / "log.txt";
  AppResult result;
  result.exit_code = wait_exit_code(start_text_classifier(args, log));
  result.output = read_text(log);
  return result;
}

}  // namespace ember::testing
