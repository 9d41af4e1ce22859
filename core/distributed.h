// ember::distributed: one process group over MPI (torch.distributed with the MPI backend).
// Every rank runs the same program; the collectives below must be called by all ranks in the
// same order with tensors of the same shape and dtype.
//
//   distributed::init();                          // under `mpirun -np 2 ./train`
//   distributed::broadcast(weight, 0);            // rank 0's initial weights everywhere
//   ... loss.backward();
//   distributed::all_reduce(grad, distributed::ReduceOp::Mean);
//
// Built only when CMake found MPI (EMBER_WITH_MPI). Without it is_available() is false and
// init() throws an ember::Error saying so; the other functions need init() first.
#pragma once

#include "core/sparse.h"
#include "core/tensor.h"

#include <string>

namespace ember::distributed {

enum class ReduceOp {
  Sum,   // every rank gets the elementwise sum
  Mean,  // the sum divided by world_size() (what data-parallel gradients need)
};

// True when ember was built with MPI.
bool is_available();
// True when this process was started by an MPI launcher (mpirun/mpiexec set OMPI_COMM_WORLD_SIZE
// or PMI_SIZE). Needs no MPI: apps use it to decide whether to call init().
bool launched_by_mpi();

// Joins the process group described by the MPI environment (MPI_Init_thread, funneled: only the
// thread that called init() may call the collectives). Throws if ember was built without MPI
// or if the group is already initialized, as torch.distributed.init_process_group does.
void init();
bool is_initialized();
// Leaves the group (MPI_Finalize). Every rank must call it; MPI cannot be initialized again.
void finalize();

int rank();        // 0 .. world_size() - 1
int world_size();  // processes in the group
// Processes of the group on this machine (for splitting its cores between them).
int local_world_size();

// In place on every rank: `tensor` becomes the elementwise sum (or mean) over all ranks.
// float32 or float64; any layout (a non-contiguous tensor is reduced through a contiguous copy).
void all_reduce(Tensor& tensor, ReduceOp op = ReduceOp::Sum);

// The sum over ranks of row-sparse tensors, still row-sparse: every rank's indices and rows are
// gathered (rank order) and then coalesced. Every rank passes the same dense shape and dtype
// (checked: a mismatch throws on every rank); nnz may differ, and may be 0.
SparseTensor all_gather_sparse(const SparseTensor& tensor);

// In place: every rank's `tensor` becomes the root's. Shapes and dtypes must agree (checked: a
// mismatch throws on every rank, before any tensor is written).
void broadcast(Tensor& tensor, int root = 0);

// Returns once every rank has called it.
void barrier();

// Stops every rank of the job: prints "rank R/N: message" to stderr, then MPI_Abort. What a rank
// must do on an error it cannot recover from, since the other ranks would otherwise wait forever
// in their next collective. Without an initialized group it prints the message and exits.
[[noreturn]] void abort_job(const std::string& message, int exit_code = 1);

}  // namespace ember::distributed
