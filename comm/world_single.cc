// World of one process, for builds without MPI.
#include <cstdlib>
#include <cstring>

#include "comm/world.h"

namespace comm {

World::World(int* /*argc*/, char*** /*argv*/) {}
World::~World() = default;
bool World::HasMpi() { return false; }
void World::Barrier() {}
double World::Max(double value) { return value; }
int64_t World::Sum(int64_t value) { return value; }
void World::Broadcast(void* /*data*/, size_t /*bytes*/, int /*root*/) {}
std::vector<std::string> World::Gather(const std::string& text) { return {text}; }
void World::Abort(int exit_code) { std::exit(exit_code); }

}  // namespace comm
