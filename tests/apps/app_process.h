// Running an app executable (found in EMBER_APPS_DIR, set by tests/CMakeLists.txt) as a
// subprocess: its exit code, stdout and stderr, and a scratch folder removed at scope exit.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace ember::testing::app_process {

struct Result {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A private temporary folder, removed with its contents at scope exit.
class Scratch {
 public:
  Scratch() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ember_apps_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::string path(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path(name), std::ios::binary) << content;
    return path(name);
  }

 private:
  std::filesystem::path path_;
};

// Runs `app` with `args` (each passed as one argument, shell-quoted), standard input read from
// `stdin_path`, standard output captured or, when `stdout_path` is given, sent there.
inline Result run(const std::string& app, const std::vector<std::string>& args,
                  const std::string& stdin_path = "/dev/null", const std::string& stdout_path = "") {
  Scratch scratch;
  std::string command = std::string(EMBER_APPS_DIR) + "/" + app;
  for (const std::string& arg : args) {
    std::string quoted = "'";
    for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    command += " " + quoted + "'";
  }
  command += " 2>'" + scratch.path("stderr") + "' < '" + stdin_path + "'";
  if (!stdout_path.empty()) command += " > '" + stdout_path + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  Result result;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.out.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.err = read_text(scratch.path("stderr"));
  return result;
}

// The number after `label` in `text` (e.g. label "test RMSE "), or NaN when absent.
inline double number_after(const std::string& text, const std::string& label) {
  const std::size_t at = text.find(label);
  if (at == std::string::npos) return std::nan("");
  return std::strtod(text.c_str() + at + label.size(), nullptr);
}

}  // namespace ember::testing::app_process
