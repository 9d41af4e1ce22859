// distributed_failing_rank: a 2-process job in which rank 1 throws while rank 0 goes on into a
// collective that can never complete. The launch test checks that the job stops with rank 1's
// message, through distributed::abort_job, instead of hanging.
#include "core/distributed.h"

#include <fmt/format.h>

#include <exception>

using namespace ember;

int main() {
  distributed::init();
  try {
    Tensor t = ones({4});
    distributed::all_reduce(t);  // both ranks get here: the group works
    if (distributed::rank() == 1) throw ValueError("failing_rank: rank 1 failed on purpose after one all_reduce");
    distributed::all_reduce(t);  // rank 0 waits here for a partner that never comes
    distributed::finalize();
    return 0;
  } catch (const std::exception& e) {
    distributed::abort_job(fmt::format("error: {}", e.what()));
  }
}
