#include "comm/check.h"

#include <algorithm>
#include <vector>

namespace comm {
namespace {

char* Offset(void* base, size_t elements, DType t) {
  return static_cast<char*>(base) + elements * SizeOf(t);
}

// Writes this rank's input where the call will read it. Everything else starts at zero, a value
// the pattern never produces, so an element the collective failed to write is caught.
void StageInput(const CheckSetup& s, Backend& backend, const DeviceBuffers& buffers) {
  const DType t = s.args.type;
  const InputPattern pattern(t, s.args.op, s.args.nranks);
  const size_t es = SizeOf(t);
  std::vector<unsigned char> input(s.counts.send_count * es);
  for (size_t i = 0; i < s.counts.send_count; ++i) {
    StoreElement(input.data(), i, t, pattern.Value(s.args.rank, i));
  }
  const size_t out_elems = std::max(s.counts.send_count, s.counts.recv_count);
  const std::vector<unsigned char> zeros(out_elems * es, 0);
  backend.CopyToDevice(buffers.recv, zeros.data(), zeros.size());
  void* input_at = s.in_place ? Offset(buffers.recv, s.counts.send_inplace_offset * s.args.rank, t)
                              : buffers.send;
  backend.CopyToDevice(input_at, input.data(), input.size());
}

int64_t CountWrong(const CheckSetup& s, const std::vector<unsigned char>& output) {
  const DType t = s.args.type;
  const InputPattern pattern(t, s.args.op, s.args.nranks);
  int64_t wrong = 0;
  for (size_t i = 0; i < s.counts.recv_count; ++i) {
    const double expected = s.collective->Expected(pattern, s.counts, s.args.rank, s.args.root, i);
    if (!pattern.Matches(LoadElement(output.data(), i, t), expected)) ++wrong;
  }
  return wrong;
}

}  // namespace

CallArgs PlaceArgs(CallArgs args, const BufferCounts& counts, bool in_place,
                   const DeviceBuffers& buffers) {
  args.count = counts.param_count;
  if (!in_place) {
    args.send = buffers.send;
    args.recv = buffers.recv;
    return args;
  }
  args.send = Offset(buffers.recv, counts.send_inplace_offset * args.rank, args.type);
  args.recv = Offset(buffers.recv, counts.recv_inplace_offset * args.rank, args.type);
  return args;
}

int64_t CheckCollective(const CheckSetup& s, Backend& backend, World& world,
                        const DeviceBuffers& buffers) {
  StageInput(s, backend, buffers);
  const CallArgs args = PlaceArgs(s.args, s.counts, s.in_place, buffers);
  world.Barrier();
  s.collective->Run(backend, args);
  backend.Synchronize();
  int64_t wrong = 0;
  if (s.collective->HasOutput(s.args.rank, s.args.root)) {
    std::vector<unsigned char> output(s.counts.recv_count * SizeOf(s.args.type));
    backend.CopyToHost(output.data(), args.recv, output.size());
    wrong = CountWrong(s, output);
  }
  return world.Sum(wrong);
}

}  // namespace comm
