// Catch2 main of test_distributed, which runs on 2 MPI processes (tests/distributed/run_mpi.sh):
// joins the process group, runs the selected tests on every rank, and leaves the group. A rank
// whose tests failed aborts the whole job, so a rank still waiting in a collective cannot hang.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "core/distributed.h"

int main(int argc, char** argv) {
  Catch::Session session;
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  // Listing the tests (catch_discover_tests) runs without mpirun and needs no process group.
  const bool listing = session.configData().listTests || session.configData().listTestNamesOnly ||
                       session.configData().listTags || session.configData().listReporters;
  if (listing || !ember::distributed::launched_by_mpi()) return session.run();
  ember::distributed::init();
  const int failed = session.run();
  if (failed != 0 && ember::distributed::world_size() > 1)
    ember::distributed::abort_job("test_distributed: tests failed on this rank", failed);
  ember::distributed::finalize();
  return failed;
}
