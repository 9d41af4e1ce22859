// Crash-safe checkpoint folders, shared by the apps. The caller writes its files (each app lists
// its own: text_classifier/trainer.cpp, recommender/checkpoint.h, transe/train.cpp) into
// DIR.staging; then checksums.json (size and FNV-1a hash of every file) is written last, every
// file and the folder are fsync'ed, and DIR is replaced by two renames (DIR -> DIR.old,
// DIR.staging -> DIR). A folder is complete when it has checksums.json; a reader that finds no
// complete DIR uses DIR.old. Reading verifies every file, so a truncated or corrupted file is
// refused with a message naming it (tests/reliability/test_crash_safe_checkpoints.cpp kills
// training mid-write).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ember::apps {

// What a run does besides writing its checkpoint: the files it reads and the files it writes.
struct CheckpointUse {
  std::string app;                   // "text_classifier", for messages
  // (flag, path): training data (a checkpoint to resume from is allowed), and --metrics-out, --plot...
  std::vector<std::pair<std::string, std::string>> inputs, outputs;
};

// Exclusive use of a checkpoint path for the life of the object: an flock on DIR.lock (beside
// DIR), which the kernel releases when the process ends, however it ends. The lock file is
// removed when the object is destroyed (a killed run leaves it behind, unlocked: it blocks nothing).
class CheckpointClaim {
 public:
  CheckpointClaim(std::string dir, std::string lock_path, int fd)
      : dir_(std::move(dir)), lock_path_(std::move(lock_path)), fd_(fd) {}
  ~CheckpointClaim();
  CheckpointClaim(const CheckpointClaim&) = delete;
  CheckpointClaim& operator=(const CheckpointClaim&) = delete;
  const std::string& dir() const { return dir_; }  // the normalized path to pass to write_checkpoint

 private:
  friend std::unique_ptr<CheckpointClaim> claim_checkpoint(const std::string&, const struct CheckpointUse&);
  std::string dir_, lock_path_;
  int fd_;
  bool remove_lock_ = false;  // set once the lock file is known to be ours
};

// Called before training: normalizes `dir` ("ckpt/", ".", relative paths), takes the lock (a
// second run is refused naming the first one's pid), and refuses, with a message saying what is
// there and what to do, anything at DIR, DIR.staging or DIR.old that is not an ember checkpoint
// (a regular file, a folder of other files), a folder that cannot be written, and inputs or
// outputs of the run inside the checkpoint folder. Throws IoError or ValueError.
std::unique_ptr<CheckpointClaim> claim_checkpoint(const std::string& dir, const CheckpointUse& use);
// "ckpt/" -> "ckpt", "." -> the absolute current folder, "a/./b" -> "a/b".
std::string normalize_checkpoint_path(const std::string& dir);

// Writes a checkpoint: `write_files(staging_dir)` creates the files, then the folder is swapped in.
void write_checkpoint(const std::string& dir, const std::function<void(const std::string&)>& write_files);
// The folder to read a checkpoint from (DIR, or DIR.old after an interrupted swap), with every
// file verified; throws IoError naming DIR when neither holds a complete checkpoint, and naming
// the file when one is missing, truncated or corrupted.
std::string checkpoint_to_read(const std::string& dir);
// Writes checksums.json for every other file of `folder` (write_checkpoint does it; tools that
// edit a checkpoint on purpose call it to re-seal the folder).
void seal_checkpoint(const std::string& folder);
// Writes `text` to `path` atomically (temporary file, fsync, rename); a `path` that exists and is
// not a regular file (/dev/stdout, a FIFO, a device) is written in place. Every write, the flush,
// the fsync and the close are checked: IoError naming the file and the errno text.
void write_file_atomic(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

}  // namespace ember::apps
