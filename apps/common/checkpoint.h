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
#include <string>

namespace ember::apps {

// Writes a checkpoint: `write_files(staging_dir)` creates the files, then the folder is swapped in.
void write_checkpoint(const std::string& dir, const std::function<void(const std::string&)>& write_files);
// The folder to read a checkpoint from (DIR, or DIR.old after an interrupted swap), with every
// file verified; throws IoError naming DIR when neither holds a complete checkpoint, and naming
// the file when one is missing, truncated or corrupted.
std::string checkpoint_to_read(const std::string& dir);
// Writes checksums.json for every other file of `folder` (write_checkpoint does it; tools that
// edit a checkpoint on purpose call it to re-seal the folder).
void seal_checkpoint(const std::string& folder);
// Writes `text` to `path` atomically (temporary file, fsync, rename).
void write_file_atomic(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

}  // namespace ember::apps
