// The process group the benchmarks run in: MPI_COMM_WORLD when built with MPI, otherwise a world
// of one process (enough for a single-GPU NCCL run on a machine without MPI). The benchmark
// harness uses it for barriers, the max-over-ranks timing reduction and gathering reports;
// the collectives under test go through a Backend.
#ifndef PLANNER_COMM_WORLD_H_
#define PLANNER_COMM_WORLD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace comm {

class World {
 public:
  // Initialises MPI (if built with it). Call once, first thing in main.
  World(int* argc, char*** argv);
  ~World();  // finalises MPI
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }  // rank among processes on this node
  int local_size() const { return local_size_; }
  int nodes() const { return nodes_; }
  static bool HasMpi();

  void Barrier();
  double Max(double value);
  int64_t Sum(int64_t value);
  void Broadcast(void* data, size_t bytes, int root);
  // Every rank's string, in rank order, on rank 0; empty elsewhere.
  std::vector<std::string> Gather(const std::string& text);
  // Ends every rank at once (a rank that hit an error while others wait in a collective).
  [[noreturn]] void Abort(int exit_code);

 private:
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
  int nodes_ = 1;
};

}  // namespace comm

#endif  // PLANNER_COMM_WORLD_H_
