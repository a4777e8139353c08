// planner: distributed-training cost planner. Everything happens in RunPlanner (run.h).
#include <iostream>
#include <string>
#include <vector>

#include "planner/cli/run.h"

int main(int argc, char** argv) {
  return planner::FinishOutput(
      planner::RunPlanner(std::vector<std::string>(argv + 1, argv + argc), std::cerr));
}
