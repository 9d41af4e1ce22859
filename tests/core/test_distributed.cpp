// core/distributed.h in a process that was not started by mpirun: what works without a process
// group, and the errors that say what is missing (no init() yet, or no MPI in this build).
#include "core/distributed.h"

#include <catch2/catch.hpp>

using namespace ember;
using Catch::Contains;
namespace dist = ember::distributed;

TEST_CASE("distributed: without a process group every collective says what is missing", "[core]") {
  REQUIRE_FALSE(dist::launched_by_mpi());  // ctest runs this executable directly
  REQUIRE_FALSE(dist::is_initialized());
  Tensor t = ones({3});
  // Built with MPI: "call distributed::init() first"; without: "ember was built without MPI".
  const std::string missing = dist::is_available() ? "the process group is not initialized; call distributed::init() first"
                                                    : "ember was built without MPI, so distributed training is off";
  REQUIRE_THROWS_WITH(dist::rank(), Contains("distributed::rank: " + missing));
  REQUIRE_THROWS_WITH(dist::world_size(), Contains(missing));
  REQUIRE_THROWS_WITH(dist::all_reduce(t), Contains("distributed::all_reduce: " + missing));
  REQUIRE_THROWS_WITH(dist::broadcast(t, 0), Contains(missing));
  REQUIRE_THROWS_WITH(dist::all_gather_sparse(SparseTensor::empty({2, 2}, kFloat32)), Contains(missing));
  REQUIRE_THROWS_WITH(dist::barrier(), Contains(missing));
  REQUIRE(t.to_vector<float>() == std::vector<float>{1, 1, 1});
  if (!dist::is_available()) {
    REQUIRE_THROWS_WITH(dist::init(), Contains("distributed::init: ember was built without MPI"));
    REQUIRE_FALSE(dist::is_initialized());
  }
}
