# Optional communication and GEMM backends, auto-detected: MPI (commbench/matbench across ranks)
# and CUDA + NCCL + cuBLAS (the GPU backends). Included by the top-level build and by comm/ built
# on its own, so both detect alike. Sets PLANNER_WITH_MPI and PLANNER_WITH_CUDA (options).
find_package(MPI COMPONENTS CXX)
option(PLANNER_WITH_MPI "Build the MPI backend and multi-rank runs (commbench, matbench)"
       ${MPI_CXX_FOUND})
find_package(CUDAToolkit QUIET)
find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib64)
find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda/include)
if(CUDAToolkit_FOUND AND NCCL_LIBRARY AND NCCL_INCLUDE_DIR)
  set(_cuda_default ON)
else()
  set(_cuda_default OFF)
endif()
option(PLANNER_WITH_CUDA "Build the CUDA/NCCL/cuBLAS backends" ${_cuda_default})
