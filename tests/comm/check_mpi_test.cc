// End-to-end checks of the correctness check itself, under MPI (ctest runs this on 2 ranks): a
// correct backend gives no wrong elements, a backend that corrupts one element or skips the
// work is caught. Its own main: MPI must be initialised (by World) before any test runs.
#include <gtest/gtest.h>

#include <memory>

#include "comm/check.h"
#include "comm/mpi_backend.h"

namespace comm {
namespace {

World* g_world = nullptr;

enum class Fault { kNone, kCorruptFirstElement, kSkipCall };

// Forwards to the MPI backend, then damages rank 0's result as asked.
class FaultyBackend final : public Backend {
 public:
  explicit FaultyBackend(Fault fault) : inner_(MakeMpiBackend()), fault_(fault) {}
  const char* name() const override { return "faulty"; }
  std::string DeviceDescription() const override { return "faulty"; }
  bool SupportsInPlacePointToPoint() const override { return true; }
  void* Alloc(size_t bytes) override { return inner_->Alloc(bytes); }
  void Free(void* p) override { inner_->Free(p); }
  void CopyToDevice(void* d, const void* s, size_t n) override { inner_->CopyToDevice(d, s, n); }
  void CopyToHost(void* d, const void* s, size_t n) override { inner_->CopyToHost(d, s, n); }
  void Synchronize() override {}

  void AllReduce(const void* s, void* r, size_t n, DType t, RedOp op) override {
    if (fault_ != Fault::kSkipCall) inner_->AllReduce(s, r, n, t, op);
    Damage(r, n, t);
  }
  void ReduceScatter(const void* s, void* r, size_t n, DType t, RedOp op) override {
    if (fault_ != Fault::kSkipCall) inner_->ReduceScatter(s, r, n, t, op);
    Damage(r, n, t);
  }
  void AllGather(const void* s, void* r, size_t n, DType t) override {
    if (fault_ != Fault::kSkipCall) inner_->AllGather(s, r, n, t);
    Damage(r, n, t);
  }
  void Broadcast(const void* s, void* r, size_t n, DType t, int root) override {
    if (fault_ != Fault::kSkipCall) inner_->Broadcast(s, r, n, t, root);
    Damage(r, n, t);
  }
  void Reduce(const void* s, void* r, size_t n, DType t, RedOp op, int root) override {
    if (fault_ != Fault::kSkipCall) inner_->Reduce(s, r, n, t, op, root);
    Damage(r, n, t);
  }
  void AllToAll(const void* s, void* r, size_t n, DType t) override {
    if (fault_ != Fault::kSkipCall) inner_->AllToAll(s, r, n, t);
    Damage(r, n, t);
  }
  void SendRecv(const void* s, void* r, size_t n, DType t, int to, int from) override {
    if (fault_ != Fault::kSkipCall) inner_->SendRecv(s, r, n, t, to, from);
    Damage(r, n, t);
  }

 private:
  void Damage(void* recv, size_t count, DType t) {
    if (fault_ == Fault::kCorruptFirstElement && g_world->rank() == 0 && count > 0) {
      StoreElement(recv, 0, t, -3.0);  // the pattern never produces a negative value
    }
  }

  std::unique_ptr<Backend> inner_;
  Fault fault_;
};

int64_t Check(const Collective& c, Backend& backend, bool in_place, DType type = DType::kFloat) {
  constexpr size_t kElements = 1001;  // odd: blocks round down
  CheckSetup setup;
  setup.collective = &c;
  setup.counts = c.Counts(kElements, g_world->size());
  setup.args = {.type = type,
                .op = RedOp::kSum,
                .root = 0,
                .rank = g_world->rank(),
                .nranks = g_world->size()};
  setup.in_place = in_place;
  const size_t bytes = kElements * SizeOf(type);
  DeviceBuffers buffers{backend.Alloc(bytes), backend.Alloc(bytes)};
  const int64_t wrong = CheckCollective(setup, backend, *g_world, buffers);
  backend.Free(buffers.send);
  backend.Free(buffers.recv);
  return wrong;
}

TEST(CheckMpiTest, CorrectBackendHasNoWrongElements) {
  FaultyBackend backend(Fault::kNone);
  for (const Collective* c : AllCollectives()) {
    for (DType t : {DType::kFloat, DType::kHalf, DType::kBfloat16}) {
      EXPECT_EQ(Check(*c, backend, false, t), 0) << c->name() << " " << ToString(t);
      EXPECT_EQ(Check(*c, backend, true, t), 0) << c->name() << " in place " << ToString(t);
    }
  }
}

TEST(CheckMpiTest, OneCorruptElementIsCounted) {
  FaultyBackend backend(Fault::kCorruptFirstElement);
  for (const Collective* c : AllCollectives()) {
    EXPECT_EQ(Check(*c, backend, false), 1) << c->name();
    EXPECT_EQ(Check(*c, backend, true), 1) << c->name() << " in place";
  }
}

TEST(CheckMpiTest, SkippedCallIsCaught) {
  FaultyBackend backend(Fault::kSkipCall);
  for (const Collective* c : AllCollectives()) {
    EXPECT_GT(Check(*c, backend, false), 0) << c->name();
  }
}

}  // namespace
}  // namespace comm

int main(int argc, char** argv) {
  comm::World world(&argc, &argv);
  comm::g_world = &world;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
