// ember::distributed over MPI: init/finalize, all_reduce, all_gather_sparse, broadcast, barrier.
// The MPI calls are compiled only with EMBER_WITH_MPI; without it every entry point that needs
// MPI throws an Error saying that ember was built without it.
#include "core/distributed.h"

#include "core/kernels.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <vector>

#if EMBER_WITH_MPI
#define OMPI_SKIP_MPICXX 1  // the C API only: no deprecated C++ bindings
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace ember::distributed {

bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr;
}

#if !EMBER_WITH_MPI

namespace {
[[noreturn]] void unavailable(const char* op) {
  throw Error(fmt::format(
      "distributed::{}: ember was built without MPI, so distributed training is off; install MPI "
      "(Debian: libopenmpi-dev openmpi-bin) and reconfigure with -DEMBER_WITH_MPI=ON",
      op));
}
}  // namespace

bool is_available() { return false; }
void init() { unavailable("init"); }
bool is_initialized() { return false; }
void finalize() { unavailable("finalize"); }
int rank() { unavailable("rank"); }
int world_size() { unavailable("world_size"); }
int local_world_size() { unavailable("local_world_size"); }
void all_reduce(Tensor&, ReduceOp) { unavailable("all_reduce"); }
SparseTensor all_gather_sparse(const SparseTensor&) { unavailable("all_gather_sparse"); }
void broadcast(Tensor&, int) { unavailable("broadcast"); }
void barrier() { unavailable("barrier"); }

void abort_job(const std::string& message, int exit_code) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  std::exit(exit_code);
}

#else

namespace {

struct Group {
  bool initialized = false;
  bool finalized = false;
  bool owns_mpi = false;  // we called MPI_Init, so we call MPI_Finalize
  MPI_Comm comm = MPI_COMM_NULL;  // a private duplicate of MPI_COMM_WORLD
  int rank = 0;
  int world_size = 1;
  int local_world_size = 1;
};

Group& group() {
  static Group g;
  return g;
}

// MPI errors return codes (MPI_ERRORS_RETURN on our communicator); turn them into exceptions.
void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(fmt::format("distributed: {} failed: {}", call, std::string(text, length)));
}

const Group& require_group(const char* op) {
  const Group& g = group();
  EMBER_CHECK(g.initialized, Error,
              "distributed::{}: the process group is not initialized; call distributed::init() first "
              "(and start the program with mpirun)",
              op);
  return g;
}

MPI_Datatype mpi_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return MPI_FLOAT;
    case DType::Float64: return MPI_DOUBLE;
    case DType::Int64: return MPI_INT64_T;
    case DType::Bool: return MPI_BYTE;
    case DType::Int32: return MPI_INT32_T;
  }
  return MPI_BYTE;
}

// MPI counts are int: large buffers go in chunks of at most this many elements.
constexpr std::int64_t kMaxCount = 1 << 30;

// What every rank says about its tensor before a collective whose sizes must agree:
// [dtype, ndim, dims..., extra]. Dims past kMaxDims are folded into the last one.
constexpr int kMaxDims = 6;
constexpr int kHeaderSize = 3 + kMaxDims;

std::vector<std::int64_t> header_of(const Shape& shape, DType dtype, std::int64_t extra) {
  std::vector<std::int64_t> h(kHeaderSize, 1);
  h[0] = static_cast<std::int64_t>(dtype);
  h[1] = static_cast<std::int64_t>(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d) h[2 + std::min<std::size_t>(d, kMaxDims - 1)] *= shape[d];
  h[kHeaderSize - 1] = extra;
  return h;
}

std::string describe_header(const std::int64_t* h) {
  Shape shape(h + 2, h + 2 + std::min<std::int64_t>(h[1], kMaxDims));
  return fmt::format("{} {}", shape_str(shape), dtype_name(static_cast<DType>(h[0])));
}

// Every rank's header, rank-major: each rank can then check all of them and throw the same
// error as every other rank, instead of some ranks erroring while others wait forever.
std::vector<std::int64_t> all_headers(const Group& g, const std::vector<std::int64_t>& mine) {
  std::vector<std::int64_t> all(static_cast<std::size_t>(kHeaderSize) * g.world_size);
  check_mpi(MPI_Allgather(mine.data(), kHeaderSize, MPI_INT64_T, all.data(), kHeaderSize, MPI_INT64_T, g.comm),
            "MPI_Allgather");
  return all;
}

// Throws on every rank when some rank's [dtype, shape] differs from `reference_rank`'s.
void require_same_headers(const std::vector<std::int64_t>& all, int world, int reference_rank, const char* op) {
  const std::int64_t* ref = all.data() + static_cast<std::size_t>(reference_rank) * kHeaderSize;
  for (int r = 0; r < world; ++r) {
    const std::int64_t* h = all.data() + static_cast<std::size_t>(r) * kHeaderSize;
    EMBER_CHECK(std::equal(h, h + kHeaderSize - 1, ref), ShapeError,
                "distributed::{}: rank {} has a {} tensor but rank {} has {}; expected the same shape and dtype "
                "on every rank",
                op, r, describe_header(h), reference_rank, describe_header(ref));
  }
}

}  // namespace

bool is_available() { return true; }

void init() {
  Group& g = group();
  EMBER_CHECK(!g.initialized, Error, "distributed::init: the process group is already initialized");
  EMBER_CHECK(!g.finalized, Error, "distributed::init: the process group was finalized; MPI cannot start again");
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    g.owns_mpi = true;
  }
  check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &g.comm), "MPI_Comm_dup");
  check_mpi(MPI_Comm_set_errhandler(g.comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  check_mpi(MPI_Comm_rank(g.comm, &g.rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(g.comm, &g.world_size), "MPI_Comm_size");
  MPI_Comm local;
  check_mpi(MPI_Comm_split_type(g.comm, MPI_COMM_TYPE_SHARED, g.rank, MPI_INFO_NULL, &local), "MPI_Comm_split_type");
  check_mpi(MPI_Comm_size(local, &g.local_world_size), "MPI_Comm_size");
  MPI_Comm_free(&local);
  g.initialized = true;
}

bool is_initialized() { return group().initialized; }

void finalize() {
  Group& g = group();
  require_group("finalize");
  MPI_Comm_free(&g.comm);
  g.initialized = false;
  g.finalized = true;
  if (g.owns_mpi) check_mpi(MPI_Finalize(), "MPI_Finalize");
}

int rank() { return require_group("rank").rank; }
int world_size() { return require_group("world_size").world_size; }
int local_world_size() { return require_group("local_world_size").local_world_size; }

void all_reduce(Tensor& tensor, ReduceOp op) {
  const Group& g = require_group("all_reduce");
  EMBER_CHECK(tensor.defined(), ValueError, "distributed::all_reduce: the tensor is undefined");
  EMBER_CHECK(is_floating(tensor.dtype()), TypeError,
              "distributed::all_reduce: dtype {} is not supported; expected float32 or float64",
              dtype_name(tensor.dtype()));
  // Reduce in place when we can; otherwise through a contiguous copy written back at the end.
  Tensor buffer = tensor.is_contiguous() ? tensor : kernels::contiguous(tensor);
  char* data = static_cast<char*>(buffer.raw_data());
  for (std::int64_t start = 0; start < buffer.numel(); start += kMaxCount) {
    const auto count = static_cast<int>(std::min(kMaxCount, buffer.numel() - start));
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + start * buffer.element_size(), count, mpi_type(buffer.dtype()),
                            MPI_SUM, g.comm),
              "MPI_Allreduce");
  }
  buffer.bump_version();
  if (op == ReduceOp::Mean) kernels::mul_(buffer, 1.0 / g.world_size);
  if (!buffer.is_same(tensor)) {
    kernels::copy_into(tensor, buffer);
    tensor.bump_version();
  }
}

SparseTensor all_gather_sparse(const SparseTensor& tensor) {
  const Group& g = require_group("all_gather_sparse");
  EMBER_CHECK(tensor.defined(), ValueError, "distributed::all_gather_sparse: the sparse tensor is undefined");
  const std::vector<std::int64_t> headers = all_headers(g, header_of(tensor.shape, tensor.dtype(), tensor.nnz()));
  require_same_headers(headers, g.world_size, 0, "all_gather_sparse");

  // Rows are exchanged as one MPI datatype each, so counts stay small: nnz rows, not nnz * D floats.
  std::vector<int> counts(g.world_size), displacements(g.world_size);
  std::int64_t total = 0;
  for (int r = 0; r < g.world_size; ++r) {
    const std::int64_t nnz = headers[static_cast<std::size_t>(r) * kHeaderSize + kHeaderSize - 1];
    counts[r] = static_cast<int>(nnz);
    displacements[r] = static_cast<int>(total);
    total += nnz;
  }
  EMBER_CHECK(total <= INT_MAX, ValueError,
              "distributed::all_gather_sparse: {} rows in total over all ranks; expected at most {}", total, INT_MAX);
  std::int64_t row_numel = 1;  // elements of one row: the dense shape without its first dim
  for (std::size_t d = 1; d < tensor.shape.size(); ++d) row_numel *= tensor.shape[d];
  Shape values_shape = tensor.shape;
  values_shape[0] = total;
  Tensor indices = empty({total}, kInt64);
  Tensor values = empty(values_shape, tensor.dtype());
  if (total > 0) {
    const Tensor my_indices = kernels::contiguous(tensor.indices);
    check_mpi(MPI_Allgatherv(my_indices.raw_data(), static_cast<int>(tensor.nnz()), MPI_INT64_T, indices.raw_data(),
                             counts.data(), displacements.data(), MPI_INT64_T, g.comm),
              "MPI_Allgatherv");
    if (row_numel > 0) {
      const Tensor my_values = kernels::contiguous(tensor.values);
      MPI_Datatype row;
      check_mpi(MPI_Type_contiguous(static_cast<int>(row_numel), mpi_type(tensor.dtype()), &row), "MPI_Type_contiguous");
      MPI_Type_commit(&row);
      const int code = MPI_Allgatherv(my_values.raw_data(), static_cast<int>(tensor.nnz()), row, values.raw_data(),
                                      counts.data(), displacements.data(), row, g.comm);
      MPI_Type_free(&row);
      check_mpi(code, "MPI_Allgatherv");
    }
  }
  return SparseTensor(indices, values, tensor.shape).coalesce();
}

void broadcast(Tensor& tensor, int root) {
  const Group& g = require_group("broadcast");
  EMBER_CHECK(root >= 0 && root < g.world_size, IndexError,
              "distributed::broadcast: root {} is out of range; expected [0, {})", root, g.world_size);
  EMBER_CHECK(tensor.defined(), ValueError, "distributed::broadcast: the tensor is undefined");
  require_same_headers(all_headers(g, header_of(tensor.shape(), tensor.dtype(), 0)), g.world_size, root, "broadcast");
  Tensor buffer = tensor.is_contiguous() ? tensor : kernels::contiguous(tensor);
  char* data = static_cast<char*>(buffer.raw_data());
  for (std::int64_t start = 0; start < buffer.numel(); start += kMaxCount) {
    const auto count = static_cast<int>(std::min(kMaxCount, buffer.numel() - start));
    check_mpi(MPI_Bcast(data + start * buffer.element_size(), count, mpi_type(buffer.dtype()), root, g.comm),
              "MPI_Bcast");
  }
  buffer.bump_version();
  if (!buffer.is_same(tensor)) {
    kernels::copy_into(tensor, buffer);
    tensor.bump_version();
  }
}

void barrier() { check_mpi(MPI_Barrier(require_group("barrier").comm), "MPI_Barrier"); }

void abort_job(const std::string& message, int exit_code) {
  const Group& g = group();
  if (g.initialized) {
    std::fprintf(stderr, "rank %d/%d: %s\n", g.rank, g.world_size, message.c_str());
  } else {
    std::fprintf(stderr, "%s\n", message.c_str());
  }
  std::fflush(stderr);
  std::fflush(stdout);
  if (g.initialized) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::exit(exit_code);
}

#endif

}  // namespace ember::distributed
