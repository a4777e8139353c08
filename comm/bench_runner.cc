#include "comm/bench_runner.h"

#include <algorithm>
#include <vector>

#include "comm/check.h"

namespace comm {
namespace {

class BufferPair {
 public:
  // Zero-filled, so a run without -c never reads uninitialised memory (or times arithmetic on
  // whatever bit patterns, denormals included, a previous allocation left behind).
  BufferPair(Backend& backend, size_t bytes) : backend_(backend) {
    buffers_.send = backend.Alloc(bytes);
    buffers_.recv = backend.Alloc(bytes);
    const std::vector<unsigned char> zeros(bytes, 0);
    backend.CopyToDevice(buffers_.send, zeros.data(), bytes);
    backend.CopyToDevice(buffers_.recv, zeros.data(), bytes);
  }
  ~BufferPair() {
    backend_.Free(buffers_.send);
    backend_.Free(buffers_.recv);
  }
  const DeviceBuffers& get() const { return buffers_; }

 private:
  Backend& backend_;
  DeviceBuffers buffers_;
};

size_t LargestBufferBytes(const Collective& c, const BenchConfig& config, int nranks) {
  size_t bytes = 0;
  for (uint64_t size : config.sizes) {
    const BufferCounts n = c.Counts(size / SizeOf(config.type), nranks);
    bytes = std::max(bytes, std::max(n.send_count, n.recv_count) * SizeOf(config.type));
  }
  return bytes;
}

Measurement MeasurePlacement(const CheckSetup& setup, const BenchConfig& config, Backend& backend,
                             World& world, const DeviceBuffers& buffers) {
  const CallArgs args = PlaceArgs(setup.args, setup.counts, setup.in_place, buffers);
  const double seconds =
      TimeCalls(config.timing, backend, world, [&] { setup.collective->Run(backend, args); });
  std::optional<int64_t> wrong;
  if (config.check > 0 && (!setup.in_place || setup.collective->InPlaceCheckable(backend))) {
    wrong = 0;
    for (int c = 0; c < config.check && *wrong == 0; ++c) {
      *wrong += CheckCollective(setup, backend, world, buffers);
    }
  }
  const size_t bytes =
      std::max(setup.counts.send_count, setup.counts.recv_count) * SizeOf(setup.args.type);
  return MakeMeasurement(bytes, seconds, setup.collective->BusFactor(setup.args.nranks), wrong);
}

Row MeasureSize(const Collective& c, uint64_t size, const BenchConfig& config, Backend& backend,
                World& world, const DeviceBuffers& buffers) {
  CheckSetup setup;
  setup.collective = &c;
  setup.counts = c.Counts(size / SizeOf(config.type), world.size());
  setup.args = {.type = config.type,
                .op = config.op,
                .root = config.root,
                .rank = world.rank(),
                .nranks = world.size()};
  Row row;
  row.collective = std::string(c.name());
  row.size_bytes = std::max(setup.counts.send_count, setup.counts.recv_count) * SizeOf(config.type);
  row.count = setup.counts.param_count;
  row.type = ToString(config.type);
  row.redop = c.uses_op() ? ToString(config.op) : "none";
  row.root = c.uses_root() ? config.root : -1;
  row.bus_factor = c.BusFactor(world.size());
  row.out_of_place = MeasurePlacement(setup, config, backend, world, buffers);
  setup.in_place = true;
  row.in_place = MeasurePlacement(setup, config, backend, world, buffers);
  return row;
}

}  // namespace

std::vector<Row> RunCollective(const Collective& collective, const BenchConfig& config,
                               Backend& backend, World& world,
                               const std::function<void(const Row&)>& on_row) {
  const BufferPair buffers(backend, LargestBufferBytes(collective, config, world.size()));
  std::vector<Row> rows;
  for (uint64_t size : config.sizes) {
    rows.push_back(MeasureSize(collective, size, config, backend, world, buffers.get()));
    on_row(rows.back());
  }
  return rows;
}

}  // namespace comm
