// ClusterSpec: GPUs, nodes, the network as ordered levels, prices, and the efficiency terms that
// `planner calibrate` and `planner validate` fit. Pure data plus validation; no I/O.
#ifndef PLANNER_CORE_CLUSTER_SPEC_H_
#define PLANNER_CORE_CLUSTER_SPEC_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/core/collective_kind.h"
#include "planner/core/enum_names.h"
#include "planner/core/operations.h"

namespace planner {

// kFp4: NVFP4 (E2M1 values, an E4M3 scale per 16-element block; Blackwell tensor cores).
enum class Dtype { kFp32, kTf32, kFp16, kBf16, kFp8, kFp4 };
inline constexpr int kNumDtypes = 6;
// The cluster file's peak_tflops keys and --dtype's values.
inline constexpr EnumName<Dtype> kDtypeNames[] = {{Dtype::kFp32, "fp32"}, {Dtype::kTf32, "tf32"},
                                                  {Dtype::kFp16, "fp16"}, {Dtype::kBf16, "bf16"},
                                                  {Dtype::kFp8, "fp8"},   {Dtype::kFp4, "fp4"}};
inline const char* ToString(Dtype d) { return NameIn(kDtypeNames, d); }
// What a layout may train in (`--dtype`), in the order help and errors list them.
inline constexpr std::array<Dtype, 4> kTrainingDtypes = {Dtype::kBf16, Dtype::kFp16, Dtype::kFp8,
                                                         Dtype::kFp4};
// fp8 and fp4 training: the linear layers' GEMMs run in the low-precision dtype on quantized
// operands; attention, norms, the optimizer and the communication stay 16-bit (Transformer
// Engine, torchao).
inline bool IsLowPrecision(Dtype d) { return d == Dtype::kFp8 || d == Dtype::kFp4; }
// Bytes per element of a GEMM operand in `d`: NVFP4 stores 4-bit values plus one byte-wide scale
// per 16 elements (0.5 + 1/16); fp8 one byte (its per-tensor or per-32 scales are negligible).
inline double GemmOperandBytes(Dtype d) {
  if (d == Dtype::kFp4) return 0.5 + 1.0 / 16;
  return d == Dtype::kFp8 ? 1 : 2;
}

struct GpuSpec {
  std::string name;
  std::array<double, kNumDtypes> peak_tflops{};  // dense; 0 = not supported
  double hbm_GiB = 0;
  double hbm_GBps = 0;
  double tdp_W = 0;
  // GPU <-> host memory, one direction, decimal GB/s (NVLink-C2C on Grace systems, else the PCIe
  // link): what CPU activation offloading moves over. 0: not stated.
  double host_link_GBps = 0;
  // Host memory this GPU can fill with offloaded activations: its share of the CPU memory (a
  // Grace's LPDDR5X over the GPUs it serves), in GiB. 0: not stated.
  double host_GiB = 0;
  double peak(Dtype d) const { return peak_tflops[static_cast<int>(d)]; }
  // CPU activation offloading needs both the link it copies over and the memory it copies into.
  bool can_offload() const { return host_link_GBps > 0 && host_GiB > 0; }
};

// Why a layout cannot train in `d` on `gpu`: "fp4 is not supported by H100-SXM5-80GB (no fp4
// peak_tflops in its cluster file)"; `where`, when given, names the cluster ("(dgx-h100: no ...").
std::string UnsupportedDtypeText(Dtype d, const GpuSpec& gpu, const std::string& where = "");

struct NetworkLevel {
  std::string name;
  int64_t size = 0;  // GPUs in one domain of this level; 0 = the whole cluster
  double bw_GBps = 0;     // per GPU, one direction, decimal GB/s
  double latency_us = 0;  // per message step (alpha)
};

// A collective measured by commbench and fitted by `planner calibrate` on one network level:
// time = alpha + bus_bytes * beta, bus_bytes = bytes * busbw factor (nccl-tests).
struct CollectiveFit {
  Collective collective = Collective::kAllReduce;
  std::string level;  // network level name
  int64_t nranks = 0;
  double alpha_us = 0;
  double bus_bw_GBps = 0;  // 1 / beta
};

// Efficiency terms. The defaults are the fitted values of `planner validate` for the GPU's
// generation when a preset carries them; a calibrated cluster overrides them.
struct EfficiencySpec {
  // Fraction of dense peak a GEMM of `flops` FLOPs reaches: gemm_max * f / (f + gemm_half_flops).
  double gemm_max = 0.75;
  double gemm_half_flops = 1e9;
  // Achieved bus bandwidth / link bandwidth for collectives without a measured fit, inside the
  // scale-up domain (the innermost network level: NVLink) and across it (InfiniBand, RoCE).
  // nccl-tests all_reduce on 8 A100 SXM4 reaches 230-250 GB/s busbw of NVLink 3's 300 GB/s
  // (about 0.8); an NDR/HDR NIC per GPU reaches about 90% of its line rate in inter-node rings.
  // Measured, not fitted (see FitOptions); a calibrated cluster replaces them with its own fits.
  double collective_bw_fraction = 0.8;
  double scaleout_bw_fraction = 0.9;
  // FP8 GEMMs reach a smaller share of their doubled peak than 16-bit GEMMs of theirs (scaling,
  // casts and the same memory traffic per FLOP at twice the rate): their efficiency is the 16-bit
  // curve times this. Fitted where fp8 runs exist.
  double fp8_gemm_fraction = 1.0;
  // The same for fp4 (NVFP4) GEMMs against their fp4 peak: quantization to 16-element blocks,
  // the random Hadamard transform of the weight-gradient operands and 2D weight scaling
  // (Transformer Engine's NVFP4BlockScaling) ride on them. Fitted where fp4 runs exist.
  double fp4_gemm_fraction = 1.0;
  // Fused attention kernels (FlashAttention, cuDNN) on this GPU reach this fraction of the
  // efficiency the stack's kernel nominally has (stack_spec.h AttentionEfficiency): what long-
  // sequence runs, where attention dominates, measure. Fitted.
  double attention_fraction = 1.0;
  // Fraction of HBM bandwidth memory-bound kernels (norms, activations, optimizer) reach.
  double hbm_fraction = 0.7;
  std::vector<CollectiveFit> collectives;  // measured; used where collective, level and size match
  std::string source;                      // how these numbers were obtained
};

// EfficiencySpec's scalar terms under the keys that cluster files, JSON and `validate --fit` give
// them, in the order they are written.
struct EfficiencyTerm {
  const char* key;
  double EfficiencySpec::*value;
};
inline constexpr EfficiencyTerm kEfficiencyTerms[] = {
    {"gemm_max", &EfficiencySpec::gemm_max},
    {"gemm_half_flops", &EfficiencySpec::gemm_half_flops},
    {"collective_bw_fraction", &EfficiencySpec::collective_bw_fraction},
    {"scaleout_bw_fraction", &EfficiencySpec::scaleout_bw_fraction},
    {"hbm_fraction", &EfficiencySpec::hbm_fraction},
    {"fp8_gemm_fraction", &EfficiencySpec::fp8_gemm_fraction},
    {"fp4_gemm_fraction", &EfficiencySpec::fp4_gemm_fraction},
    {"attention_fraction", &EfficiencySpec::attention_fraction}};
// The key of a term; "?" for a member the table lacks.
inline const char* EfficiencyKey(double EfficiencySpec::*value) {
  for (const EfficiencyTerm& t : kEfficiencyTerms) {
    if (t.value == value) return t.key;
  }
  return "?";
}

struct ClusterSpec {
  std::string name;
  std::string description;
  GpuSpec gpu;
  int64_t gpus_per_node = 0;
  int64_t nodes = 0;
  std::vector<NetworkLevel> network;  // innermost (fastest) first; the last spans the cluster
  double price_per_gpu_hour_usd = 0;
  EfficiencySpec efficiency;
  // Fraction of HBM capacity the allocator can hand out (CUDA context and reserve excluded
  // separately in the memory model).
  double usable_hbm_fraction = 1.0;
  // Failures, checkpoint storage, power and pricing classes (operations.h); defaults there.
  ReliabilitySpec reliability;
  StorageSpec storage;
  PowerSpec power;
  std::vector<PricingClass> pricing;  // beyond on-demand (price_per_gpu_hour_usd)

  // Fields a minimal cluster file left out and their documented defaults, in words
  // ("network[0].latency_us = 3 (the dgx-h100 preset's)"), for outputs to state as assumed.
  std::vector<std::string> assumed;

  int64_t total_gpus() const { return gpus_per_node * nodes; }
};

struct ClusterError {
  std::string key;
  std::string message;
};

std::optional<ClusterError> Validate(const ClusterSpec& c);
// The reliability, storage, power and pricing blocks (operations.cc); Validate calls it.
std::optional<ClusterError> ValidateOperations(const ClusterSpec& c);

}  // namespace planner

#endif  // PLANNER_CORE_CLUSTER_SPEC_H_
