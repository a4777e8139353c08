// MPI handles for commbench's element types and reduction operators. MPI has no 16-bit float
// type, so half and bfloat16 travel as MPI_UINT16_T and reduce through user-defined operators
// that widen to float, combine, and round back to nearest even (exact for commbench's data).
// avg has no MPI operator: callers reduce with the sum and divide afterwards (PostDivide).
#ifndef PLANNER_COMM_MPI_TYPES_H_
#define PLANNER_COMM_MPI_TYPES_H_

#include <mpi.h>

#include <cstddef>

#include "comm/dtype.h"
#include "comm/redop.h"

namespace comm {

MPI_Datatype MpiType(DType t);
// The operator for (t, op), avg mapped to sum. User operators are created on first use and
// freed by FreeMpiOps() (call before MPI_Finalize).
MPI_Op MpiOp(DType t, RedOp op);
void FreeMpiOps();
// Divides count elements by nranks in place (integers truncate, as NCCL's integer avg does).
void PostDivide(void* data, size_t count, DType t, int nranks);

}  // namespace comm

#endif  // PLANNER_COMM_MPI_TYPES_H_
