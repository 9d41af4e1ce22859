#!/usr/bin/env bash
# Test launcher for test_distributed (its CROSSCOMPILING_EMULATOR, so catch_discover_tests uses it):
#   run_mpi.sh MPIEXEC TEST_EXE [catch arguments...]
# Runs the test on 2 processes under a timeout, so a rank left waiting in a collective fails the
# test fast instead of hanging. Catch's --list-* calls (test discovery) run the executable alone.
set -euo pipefail
mpiexec=$1
shift
for arg in "$@"; do
  case $arg in --list-*) exec "$@" ;; esac
done
# --oversubscribe: 2 ranks even where fewer cores are free; --allow-run-as-root: CI runs as root.
# Waiting ranks yield the core instead of spinning: the suite runs tests in parallel on few cores.
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
exec timeout --kill-after=10 "${EMBER_MPI_TEST_TIMEOUT:-120}" \
  "$mpiexec" -np 2 --oversubscribe --allow-run-as-root "$@"
