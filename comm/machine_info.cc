#include "comm/machine_info.h"

#include <unistd.h>

#include <ctime>
#include <fstream>
#include <thread>

namespace comm {
namespace {

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
  }
  return "unknown";
}

}  // namespace

std::string Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

std::string NowString() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

MachineInfo DescribeMachine(const std::string& label) {
  MachineInfo m;
  m.label = label;
  m.hostname = Hostname();
  m.cpu_model = CpuModel();
  m.cpu_cores = static_cast<int>(std::thread::hardware_concurrency());
  return m;
}

}  // namespace comm
