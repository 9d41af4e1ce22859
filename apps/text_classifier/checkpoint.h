// Checkpoint folders of text_classifier. A folder holds
//   model.safetensors   the model's state_dict (PyTorch's keys: embedding.weight, rnn.weight_ih_l0, ..., fc.bias)
//   optimizer*.safetensors, optimizer*.json   optimizer state (ember's format)
//   vocab.json          the index-to-token list;  labels.json  the index-to-label list
//   config.json         model configuration and training options
//   state.json          epochs done, generator state, metrics so far
//   checksums.json      size and FNV-1a hash of every other file, written last
// Writing never leaves a half-written checkpoint: everything goes to DIR.staging first, is
// fsync'ed, and replaces DIR by two renames; a reader that finds no DIR uses DIR.old. Reading
// verifies every file against checksums.json, so a truncated or corrupted file is refused with a
// message naming it (tests/reliability/test_crash_safe_checkpoints.cpp kills training mid-write).
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
// Writes `text` to `path` atomically (temporary file, fsync, rename).
void write_file_atomic(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

}  // namespace ember::apps
