// A small command-line parser for ember's apps: `--name value` and `--flag` options, values also
// settable from a JSON config file (flags given on the command line win), typed getters with
// clear errors, and a usage text built from the declared options.
#pragma once

#include "apps/common/config_fields.h"

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ember::apps {

struct OptionSpec {
  std::string name;           // without the leading "--"
  std::string default_value;  // "" with is_flag: false
  std::string help;
  bool is_flag = false;       // takes no value
};

class CommandLine {
 public:
  CommandLine(std::string program, std::vector<OptionSpec> specs);

  // Parses argv[first..]; throws ember::ValueError naming an unknown option or a missing value.
  void parse(int argc, char** argv, int first);
  // Fills options not given on the command line from a JSON object file (keys = option names
  // without "--"); unknown keys are errors.
  void merge_config_file(const std::string& path);

  bool given(const std::string& name) const;  // on the command line or in the config
  std::string str(const std::string& name) const;
  std::int64_t integer(const std::string& name, std::int64_t min, std::int64_t max) const;
  std::int64_t integer(const std::string& name, IntRange range) const { return integer(name, range.min, range.max); }
  double number(const std::string& name, double min, double max) const;
  double number(const std::string& name, NumberRange range) const { return number(name, range.min, range.max); }
  bool flag(const std::string& name) const;
  std::string choice(const std::string& name, const std::vector<std::string>& allowed) const;

  // Resuming from a checkpoint: `saved` maps option names to the values the checkpoint's run
  // used, read from `file`. Each option given now (command line or --config) with another value
  // is refused, naming the option, both values and the checkpoint; each one not given takes the
  // saved value, so the resumed run keeps its configuration. Numbers compare by value ("0.001"
  // equals "1e-3"). A bad saved value is later reported by the typed getter, naming `file`.
  void adopt_checkpoint_options(const std::vector<std::pair<std::string, std::string>>& saved,
                                const std::string& checkpoint, const std::string& file);

  std::string usage() const;
  // name -> value, for saving the configuration beside a checkpoint.
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  const OptionSpec& spec(const std::string& name) const;
  // " (from FILE)" for a value read from a config file or a checkpoint, "" for the command line.
  std::string origin(const std::string& name) const;
  std::string program_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> given_;
  std::map<std::string, std::string> origin_;  // name -> file the value came from
};

// The exit status of an app: `status`, or 1 when anything written to stdout was lost (a full
// disk, /dev/full, a closed pipe), after printing "error: PROGRAM: cannot write standard output
// (WHERE): ERRNO TEXT" to stderr. Every app's main returns through it.
int checked_exit_status(const std::string& program, int status);  // (no second message when status != 0)

// Throws IoError naming `path` and the errno text when `stream` (an output file) is in a failed
// state; call after each write and after close.
void check_written(const std::ostream& stream, const std::string& program, const std::string& path);

// A progress bar on a terminal ("epoch 3/10 [#####.....] 120/250 loss 0.412 acc 81.2% 9120 ex/s"),
// or a plain line every `plain_every` steps when stdout is not a terminal.
class ProgressBar {
 public:
  ProgressBar(std::string label, std::int64_t total);
  void update(std::int64_t done, const std::string& stats);
  void finish(const std::string& stats);

 private:
  std::string label_;
  std::int64_t total_;
  bool tty_;
  std::int64_t last_plain_ = -1;
};

}  // namespace ember::apps
