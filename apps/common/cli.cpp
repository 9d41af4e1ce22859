// Command-line parsing and the progress bar shared by ember's apps.
#include "apps/common/cli.h"

#include "core/error.h"
#include "core/json_limits.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace ember::apps {

CommandLine::CommandLine(std::string program, std::vector<OptionSpec> specs)
    : program_(std::move(program)), specs_(std::move(specs)) {
  for (const auto& s : specs_) values_[s.name] = s.is_flag ? "false" : s.default_value;
}

const OptionSpec& CommandLine::spec(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return s;
  throw ValueError(fmt::format("{}: unknown option --{}; run `{} --help` for the list", program_, name, program_));
}

void CommandLine::parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    EMBER_CHECK(arg.rfind("--", 0) == 0 && arg.size() > 2, ValueError,
                "{}: unexpected argument \"{}\"; expected options of the form --name value", program_, arg);
    std::string name = arg.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      spec(name);
    } else if (spec(name).is_flag) {
      value = "true";
    } else {
      EMBER_CHECK(i + 1 < argc, ValueError, "{}: option --{} needs a value", program_, name);
      value = argv[++i];
    }
    values_[name] = value;
    given_[name] = true;
  }
}

void CommandLine::merge_config_file(const std::string& path) {
  std::ifstream in(path);
  EMBER_CHECK(in.good(), IoError, "{}: cannot open config file {}", program_, path);
  nlohmann::json config;
  try {
    config = parse_json(in, fmt::format("{}: config file {} is not valid JSON", program_, path));
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("{}: config file {} is not valid JSON: {}", program_, path, e.what()));
  }
  EMBER_CHECK(config.is_object(), IoError, "{}: config file {} must hold a JSON object", program_, path);
  for (auto it = config.begin(); it != config.end(); ++it) {
    const OptionSpec& s = spec(it.key());
    if (given_[s.name]) continue;  // the command line wins
    const auto& v = it.value();
    values_[s.name] = v.is_string() ? v.get<std::string>() : v.dump();
    given_[s.name] = true;
    origin_[s.name] = "config file " + path;
  }
}

bool CommandLine::given(const std::string& name) const {
  spec(name);
  auto it = given_.find(name);
  return it != given_.end() && it->second;
}

std::string CommandLine::str(const std::string& name) const {
  spec(name);
  return values_.at(name);
}

std::string CommandLine::origin(const std::string& name) const {
  const auto it = origin_.find(name);
  return it == origin_.end() ? "" : fmt::format(" (from {})", it->second);
}

namespace {

// "0.001" and "1e-3" are the same learning rate; anything that is not a number compares as text.
bool same_option_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  auto parse = [](const std::string& text, double& x) {
    std::size_t used = 0;
    try {
      x = std::stod(text, &used);
    } catch (const std::exception&) {
      return false;
    }
    return used == text.size();
  };
  double x = 0, y = 0;
  return parse(a, x) && parse(b, y) && x == y;
}

}  // namespace

void CommandLine::adopt_checkpoint_options(const std::vector<std::pair<std::string, std::string>>& saved,
                                           const std::string& checkpoint, const std::string& file) {
  for (const auto& [name, value] : saved) {
    const OptionSpec& s = spec(name);
    if (given(name)) {
      const std::string trained_with =
          value.empty() ? fmt::format("no --{}", name) : fmt::format("--{} {}", name, excerpt(value));
      EMBER_CHECK(same_option_value(values_.at(name), value), ValueError,
                  "{}: --{} {}{} contradicts checkpoint {}, which was trained with {}; resume without --{} (the "
                  "checkpoint's value is used) or train a new checkpoint",
                  program_, name, excerpt(values_.at(name)), origin(name), checkpoint, trained_with, name);
      continue;
    }
    values_[name] = value;
    // A saved default (no --pretrained) stays "not given", as it was in the checkpoint's run.
    given_[name] = !same_option_value(value, s.is_flag ? "false" : s.default_value);
    origin_[name] = file;
  }
}

std::int64_t CommandLine::integer(const std::string& name, std::int64_t min, std::int64_t max) const {
  const std::string v = str(name);
  std::size_t used = 0;
  std::int64_t n = 0;
  try {
    n = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  EMBER_CHECK(used == v.size() && !v.empty(), ValueError, "{}: --{} expects an integer, got \"{}\"{}", program_, name, excerpt(v),
              origin(name));
  EMBER_CHECK(n >= min && n <= max, ValueError, "{}: --{} is {}; expected [{}, {}]{}", program_, name, n, min, max,
              origin(name));
  return n;
}

double CommandLine::number(const std::string& name, double min, double max) const {
  const std::string v = str(name);
  std::size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  EMBER_CHECK(used == v.size() && !v.empty() && std::isfinite(x), ValueError, "{}: --{} expects a number, got \"{}\"{}",
              program_, name, excerpt(v), origin(name));
  EMBER_CHECK(x >= min && x <= max, ValueError, "{}: --{} is {}; expected [{}, {}]{}", program_, name, x, min, max,
              origin(name));
  return x;
}

bool CommandLine::flag(const std::string& name) const {
  const std::string v = str(name);
  EMBER_CHECK(v == "true" || v == "false", ValueError, "{}: --{} expects true or false, got \"{}\"{}", program_, name,
              excerpt(v), origin(name));
  return v == "true";
}

std::string CommandLine::choice(const std::string& name, const std::vector<std::string>& allowed) const {
  const std::string v = str(name);
  for (const auto& a : allowed)
    if (a == v) return v;
  throw ValueError(fmt::format("{}: --{} is \"{}\"; expected one of: {}{}", program_, name, excerpt(v),
                               fmt::join(allowed, ", "), origin(name)));
}

std::string CommandLine::usage() const {
  std::string out;
  for (const auto& s : specs_)
    out += fmt::format("  --{:<16} {}{}\n", s.name + (s.is_flag ? "" : " X"), s.help,
                       s.is_flag || s.default_value.empty() ? "" : fmt::format(" (default {})", s.default_value));
  return out;
}

// ---- progress bar -------------------------------------------------------------------------

ProgressBar::ProgressBar(std::string label, std::int64_t total)
    : label_(std::move(label)), total_(std::max<std::int64_t>(total, 1)), tty_(::isatty(STDOUT_FILENO) == 1) {}

void ProgressBar::update(std::int64_t done, const std::string& stats) {
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / total_);
    fmt::print("\r{} [{}{}] {}/{} {}\033[K", label_, std::string(filled, '#'), std::string(kWidth - filled, '.'), done,
               total_, stats);
    std::fflush(stdout);
    return;
  }
  // Not a terminal (a log file, CI): a plain line at every tenth of the epoch.
  const std::int64_t tenth = done * 10 / total_;
  if (tenth != last_plain_ && tenth > 0 && tenth < 10) {
    last_plain_ = tenth;
    fmt::print("{} {}/{} {}\n", label_, done, total_, stats);
    std::fflush(stdout);
  }
}

void ProgressBar::finish(const std::string& stats) {
  if (tty_) fmt::print("\r{} [{}] {}/{} {}\033[K\n", label_, std::string(30, '#'), total_, total_, stats);
  else fmt::print("{} {}/{} {}\n", label_, total_, total_, stats);
  std::fflush(stdout);
}

int checked_exit_status(const std::string& program, int status) {
  const int earlier = errno;  // the error of a failed write, if it was the last thing to fail
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  if (flushed && !std::ferror(stdout)) return status;
  if (status != 0) return status;  // the error that stopped the app is already reported
  const int error = !flushed && errno != 0 ? errno : earlier != 0 ? earlier : EIO;
  // Where stdout goes, when the system can tell (Linux): "/dev/full", "pipe:[1234]", a file.
  std::string where = "fd 1";
  char target[4096];
  if (const ssize_t n = ::readlink("/proc/self/fd/1", target, sizeof target - 1); n > 0) where.assign(target, n);
  std::fprintf(stderr, "error: %s: cannot write standard output (%s): %s\n", program.c_str(), where.c_str(),
               std::strerror(error));
  return status == 0 ? 1 : status;
}

void check_written(const std::ostream& stream, const std::string& program, const std::string& path) {
  EMBER_CHECK(!stream.fail(), IoError, "{}: cannot write {}: {}", program, path,
              std::strerror(errno != 0 ? errno : EIO));
}

}  // namespace ember::apps
