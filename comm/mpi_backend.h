// The CPU backend: host buffers and MPI collectives on MPI_COMM_WORLD. Every call completes
// before it returns, so Synchronize() has nothing to wait for.
#ifndef PLANNER_COMM_MPI_BACKEND_H_
#define PLANNER_COMM_MPI_BACKEND_H_

#include <memory>

#include "comm/backend.h"

namespace comm {

std::unique_ptr<Backend> MakeMpiBackend();

}  // namespace comm

#endif  // PLANNER_COMM_MPI_BACKEND_H_
