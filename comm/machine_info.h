// What the JSON records about the machine a benchmark ran on, so results from different clusters
// can be told apart when they are fed to `planner calibrate`.
#ifndef PLANNER_COMM_MACHINE_INFO_H_
#define PLANNER_COMM_MACHINE_INFO_H_

#include <string>

namespace comm {

struct MachineInfo {
  std::string label;      // --machine, free text
  std::string hostname;   // rank 0's
  std::string cpu_model;  // /proc/cpuinfo "model name"
  int cpu_cores = 0;      // logical CPUs of rank 0's node
  std::string gpu_model;  // empty on the CPU backends
};

MachineInfo DescribeMachine(const std::string& label);
std::string Hostname();
// Local time as "YYYY-MM-DD HH:MM:SS", as nccl-tests' JSON writes it.
std::string NowString();

}  // namespace comm

#endif  // PLANNER_COMM_MACHINE_INFO_H_
