// Collective definitions against nccl-tests' conventions and against an independent host
// simulation of each collective's data movement.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "comm/collective.h"
#include "planner/core/collective_kind.h"

namespace comm {
namespace {

using Buffers = std::vector<std::vector<double>>;  // [rank][element]

// nccl-tests' busbw factors, written out from its *_GetBw functions.
double NcclTestsBusFactor(const std::string& name, int n) {
  if (name == "all_reduce") return 2.0 * (n - 1) / n;
  if (name == "reduce_scatter" || name == "all_gather" || name == "all_to_all") {
    return static_cast<double>(n - 1) / n;
  }
  return 1.0;  // broadcast, reduce, sendrecv
}

TEST(CollectiveTest, RegistryHoldsAllSevenInOrder) {
  std::vector<std::string> names;
  for (const Collective* c : AllCollectives()) names.emplace_back(c->name());
  EXPECT_EQ(names, (std::vector<std::string>{"all_reduce", "reduce_scatter", "all_gather",
                                             "broadcast", "reduce", "all_to_all", "sendrecv"}));
  EXPECT_EQ(FindCollective("broadcast"), &BroadcastCollective());
  EXPECT_EQ(FindCollective("allreduce"), nullptr);
}

TEST(CollectiveTest, BusFactorsMatchNcclTestsAndNamesParseBackToTheKind) {
  for (const Collective* c : AllCollectives()) {
    EXPECT_EQ(planner::ParseCollective(c->name()), c->kind()) << c->name();
    for (int n : {1, 2, 3, 4, 8, 16}) {
      EXPECT_DOUBLE_EQ(c->BusFactor(n), NcclTestsBusFactor(std::string(c->name()), n));
    }
  }
}

TEST(CollectiveTest, CountsRoundDownToRankMultiplesLikeNcclTests) {
  // 10 elements over 4 ranks: blocks of 2, 8 elements in all.
  const BufferCounts rs = ReduceScatterCollective().Counts(10, 4);
  EXPECT_EQ(rs.send_count, 8u);
  EXPECT_EQ(rs.recv_count, 2u);
  EXPECT_EQ(rs.param_count, 2u);
  EXPECT_EQ(rs.recv_inplace_offset, 2u);
  const BufferCounts ag = AllGatherCollective().Counts(10, 4);
  EXPECT_EQ(ag.send_count, 2u);
  EXPECT_EQ(ag.recv_count, 8u);
  EXPECT_EQ(ag.send_inplace_offset, 2u);
  const BufferCounts a2a = AllToAllCollective().Counts(10, 4);
  EXPECT_EQ(a2a.send_count, 8u);
  EXPECT_EQ(a2a.recv_count, 8u);
  EXPECT_EQ(a2a.param_count, 2u);
  // Collectives without blocks keep the odd count.
  for (const Collective* c : {&AllReduceCollective(), &BroadcastCollective(), &ReduceCollective(),
                              &SendRecvCollective()}) {
    EXPECT_EQ(c->Counts(10, 4).param_count, 10u) << c->name();
  }
  // Fewer elements than ranks: an empty message.
  EXPECT_EQ(AllGatherCollective().Counts(3, 4).recv_count, 0u);
}

Buffers Inputs(const InputPattern& p, const BufferCounts& c, int n) {
  Buffers in(n, std::vector<double>(c.send_count));
  for (int r = 0; r < n; ++r) {
    for (size_t i = 0; i < c.send_count; ++i) in[r][i] = p.Value(r, i);
  }
  return in;
}

double ReduceColumn(const InputPattern& p, const Buffers& in, size_t i) {
  double acc = in[0][i];
  for (size_t r = 1; r < in.size(); ++r) acc = Combine(p.op(), acc, in[r][i]);
  return FinishReduction(p.op(), acc, static_cast<int>(in.size()));
}

// Moves data the way each collective is specified to: every source rank scatters its blocks to
// their destinations. Independent of Collective::Expected, which gathers per output element.
Buffers Simulate(const std::string& name, const InputPattern& p, const BufferCounts& c, int n,
                 int root) {
  const Buffers in = Inputs(p, c, n);
  Buffers out(n, std::vector<double>(c.recv_count, 0.0));
  const size_t b = c.param_count;
  for (int src = 0; src < n; ++src) {
    for (int dst = 0; dst < n; ++dst) {
      for (size_t j = 0; j < b; ++j) {
        if (name == "all_gather") out[dst][src * b + j] = in[src][j];
        if (name == "all_to_all") out[dst][src * b + j] = in[src][dst * b + j];
      }
    }
    if (name == "broadcast" && src == root) {
      for (auto& o : out) o = in[src];
    }
    if (name == "sendrecv") out[(src + 1) % n] = in[src];
  }
  for (int r = 0; r < n; ++r) {
    for (size_t j = 0; j < c.recv_count; ++j) {
      if (name == "all_reduce" || (name == "reduce" && r == root)) {
        out[r][j] = ReduceColumn(p, in, j);
      }
      if (name == "reduce_scatter") out[r][j] = ReduceColumn(p, in, r * b + j);
    }
  }
  return out;
}

TEST(CollectiveTest, ExpectedValuesMatchSimulatedDataMovement) {
  for (const Collective* c : AllCollectives()) {
    for (int n : {1, 2, 3, 4, 8}) {
      for (RedOp op : {RedOp::kSum, RedOp::kProd, RedOp::kMax, RedOp::kMin, RedOp::kAvg}) {
        const InputPattern p(DType::kFloat, op, n);
        const int root = n - 1;
        const BufferCounts counts = c->Counts(37, n);  // odd on purpose
        const Buffers want = Simulate(std::string(c->name()), p, counts, n, root);
        for (int r = 0; r < n; ++r) {
          if (!c->HasOutput(r, root)) continue;
          for (size_t i = 0; i < counts.recv_count; ++i) {
            ASSERT_EQ(c->Expected(p, counts, r, root, i), want[r][i])
                << c->name() << " n=" << n << " op=" << ToString(op) << " rank " << r << " i=" << i;
          }
        }
      }
    }
  }
}

TEST(CollectiveTest, OnlyTheRootOfReduceHasAnOutput) {
  EXPECT_TRUE(ReduceCollective().HasOutput(2, 2));
  EXPECT_FALSE(ReduceCollective().HasOutput(1, 2));
  EXPECT_TRUE(BroadcastCollective().HasOutput(1, 2));
}

}  // namespace
}  // namespace comm
