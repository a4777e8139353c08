// How the runs reader answers what a published-run record leaves unstated or words in its
// source's own terms (record_defaults.h, runs_layout.cc, runs_hardware.cc), each as a rule over
// the record's text, never per source; and that a malformed record is an error at its
// file:line:col. The records themselves against the models: validation_runs_test.cc.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "planner/core/parallel_config.h"
#include "planner/core/step_time.h"
#include "planner/io/cluster_io.h"
#include "planner/io/input_error.h"
#include "planner/io/runs_io.h"
#include "planner/io/stack_io.h"
#include "validation_runs_fixture.h"

namespace planner {
namespace {

using runs_fixture::Find;
using runs_fixture::kRuns;
using runs_fixture::ReadEdited;
using runs_fixture::Runs;

// A record may state more than pricing reads (a source's NIC model, its optimizer): those keys
// are listed, and the record is priced as it is without them. A misspelt known key stays an
// error (MalformedRecordIsAnErrorAtItsLine).
TEST(ValidationRunsTest, KeysNoRuleReadsAreListedAndChangeNothing) {
  const std::string gpu = "    gpu: A100-SXM4-80GB\n";
  const ValidationRun plain = ReadEdited("opt2022_175b_992gpu", gpu, gpu);
  const ValidationRun more =
      ReadEdited("opt2022_175b_992gpu", gpu, gpu + "    nic_model: ConnectX-6\n    rack: r7\n");
  EXPECT_TRUE(plain.unread_keys.empty());
  ASSERT_EQ(more.unread_keys.size(), 2u);
  EXPECT_TRUE(more.unread_keys[0].starts_with("hardware.nic_model (line ")) << more.unread_keys[0];
  EXPECT_TRUE(more.unread_keys[1].starts_with("hardware.rack (line ")) << more.unread_keys[1];
  ASSERT_FALSE(more.skipped()) << more.skip_reason;
  EXPECT_EQ(PredictStepTime(more.run, more.run.cluster.efficiency),
            PredictStepTime(plain.run, plain.run.cluster.efficiency));
}

// Short keys a record may add (hardware.cpu, hardware.gpus, parallelism.vpp, parallelism.zero)
// are one edit or a prefix from known ones (gpu, pp, zero_stage) but are words of their own:
// listed as unread, not taken for misspellings. A longer near miss (n_layer) still is one
// (MalformedRecordIsAnErrorAtItsLine).
TEST(ValidationRunsTest, ShortUnknownKeysAreNotTakenForMisspellings) {
  const std::string gpu = "    gpu: A100-SXM4-80GB\n";
  const ValidationRun hw =
      ReadEdited("opt2022_175b_992gpu", gpu, gpu + "    cpu: AMD EPYC\n    gpus: 992\n");
  ASSERT_EQ(hw.unread_keys.size(), 2u);
  EXPECT_TRUE(hw.unread_keys[0].starts_with("hardware.cpu (line ")) << hw.unread_keys[0];
  const std::string tp = "    tp: 8\n";
  const ValidationRun par =
      ReadEdited("korthikanti2022_175B_full_recompute", tp, tp + "    vpp: 3\n    zero: 0\n");
  EXPECT_EQ(par.unread_keys.size(), 2u);
  EXPECT_FALSE(par.skipped()) << par.skip_reason;
}

// A GPU count that is not whole nodes of the preset (12 GPUs of 8-GPU DGX nodes) cannot be
// priced on it: that record is skipped, naming the fix, and the file's other records are read.
TEST(ValidationRunsTest, PartialNodesSkipTheRecordNotTheFile) {
  const ValidationRun v =
      ReadEdited("opt2022_175b_992gpu", "    num_gpus: 992\n", "    num_gpus: 12\n");
  EXPECT_TRUE(v.skipped());
  EXPECT_NE(v.skip_reason.find("not a whole number of 8-GPU nodes"), std::string::npos)
      << v.skip_reason;
  EXPECT_NE(v.skip_reason.find("hardware.cluster"), std::string::npos) << v.skip_reason;
}

// Recompute is the source's own wording: the common phrasings map to a setting, and wording the
// reader does not know is not stated (chosen as for a null, with a note), not an error that
// would leave every record of the file unanswered.
TEST(ValidationRunsTest, RecomputeWordingMapsToItsSettingOrCountsAsUnstated) {
  const std::string stated = "    recompute: full\n";
  const std::pair<const char*, Recompute> cases[] = {
      {"activation checkpointing", Recompute::kFull},
      {"yes", Recompute::kFull},
      {"full (--checkpoint-activations)", Recompute::kFull},
      {"gradient_checkpointing (HF)", Recompute::kFull},
      {"selective (op-level SAC)", Recompute::kSelective},
      {"no", Recompute::kNone},
      {"false", Recompute::kNone},
      {"activations_checkpoint_num_layers 0 (no layer checkpointed)", Recompute::kNone}};
  for (const auto& [text, setting] : cases) {
    const ValidationRun v = ReadEdited("korthikanti2022_175B_full_recompute", stated,
                                       "    recompute: '" + std::string(text) + "'\n");
    ASSERT_FALSE(v.skipped()) << text << ": " << v.skip_reason;
    EXPECT_EQ(v.run.layout.recompute, setting) << text;
  }
  const ValidationRun odd = ReadEdited("korthikanti2022_175B_full_recompute", stated,
                                       "    recompute: partial (every other layer)\n");
  ASSERT_FALSE(odd.skipped()) << odd.skip_reason;
  const auto said = [&](const std::string& start) {
    return std::any_of(odd.assumptions.begin(), odd.assumptions.end(),
                       [&](const std::string& a) { return a.starts_with(start); });
  };
  EXPECT_TRUE(said("recompute 'partial (every other layer)' not recognised"));
  EXPECT_TRUE(said("recompute not stated: "));
}

// head_dim is d_model / n_heads unless the record states it (GPT-3 XL, Gemma 7B are not). Stated,
// it sizes the attention projections: GPT-3 175B's 96 heads of 128 as stated and as derived give
// the same step, and 96 heads of 64 (half the QKV and output projection width) a faster one.
// Where n_heads does not divide d_model and head_dim is not stated, that record is not priced
// and says which key to state; the others are.
TEST(ValidationRunsTest, HeadDimIsStatedOrDerived) {
  const std::string heads = "    n_heads: 96\n";
  const ValidationRun plain = ReadEdited("korthikanti2022_175B_full_recompute", heads, heads);
  const ValidationRun same =
      ReadEdited("korthikanti2022_175B_full_recompute", heads, heads + "    head_dim: 128\n");
  const ValidationRun half =
      ReadEdited("korthikanti2022_175B_full_recompute", heads, heads + "    head_dim: 64\n");
  ASSERT_FALSE(same.skipped() || half.skipped());
  EXPECT_EQ(same.run.model.head_dim, 128);
  EXPECT_EQ(PredictStepTime(same.run, same.run.cluster.efficiency),
            PredictStepTime(plain.run, plain.run.cluster.efficiency));
  EXPECT_LT(PredictStepTime(half.run, half.run.cluster.efficiency),
            PredictStepTime(plain.run, plain.run.cluster.efficiency));
  const ValidationRun odd =
      ReadEdited("korthikanti2022_175B_full_recompute", heads, "    n_heads: 100\n");
  EXPECT_TRUE(odd.skipped());
  EXPECT_NE(odd.skip_reason.find("head_dim"), std::string::npos) << odd.skip_reason;
}

// A dense model has no experts: an expert tensor-parallel degree its record copies from a config
// changes nothing and says so.
TEST(ValidationRunsTest, ExpertTensorParallelOnADenseModelIsIgnored) {
  const std::string tp = "    tp: 8\n";
  const ValidationRun plain = ReadEdited("korthikanti2022_175B_full_recompute", tp, tp);
  const ValidationRun etp =
      ReadEdited("korthikanti2022_175B_full_recompute", tp, tp + "    etp: 1\n");
  ASSERT_FALSE(etp.skipped()) << etp.skip_reason;
  EXPECT_EQ(etp.run.layout.etp, plain.run.layout.etp);
  EXPECT_NE(std::find(etp.assumptions.begin(), etp.assumptions.end(),
                      "etp 1 ignored: a dense model has no experts"),
            etp.assumptions.end());
}

// torchtitan's Grand Teton H100s have 96 GB of HBM2e; the dgx-h100 preset's 80 GB part reports
// 79.6 GiB (nvidia-smi), so the stated part has 79.6 x 96 / 80 GiB.
TEST(ValidationRunsTest, StatedMemoryCapacityReplacesThePresets) {
  EXPECT_DOUBLE_EQ(Find("torchtitan_8B_t1_fsdp").run.cluster.gpu.hbm_GiB, 79.6 * 96 / 80);
  EXPECT_DOUBLE_EQ(Find("narayanan2021_table1_1.7B").run.cluster.gpu.hbm_GiB, 80);
}

TEST(ValidationRunsTest, GpuTextMapsToItsPresetWhateverTheSpelling) {
  const std::string gpu = "    gpu: A100-SXM4-80GB\n";
  const std::pair<const char*, const char*> cases[] = {
      {"A100-SXM4-80GB", "dgx-a100-80gb"},
      {"A100 SXM 40GB", "dgx-a100-40gb"},
      {"a100_40gb (README)", "dgx-a100-40gb"},
      {"NVIDIA H100 80GB HBM3", "dgx-h100"},
      {"H100 PCIe 80GB", "hgx-h100-pcie"},
      {"AMD Instinct MI300X", "mi300x"},
      {"AMD Instinct MI250X (Frontier)", "frontier-mi250x"},
      {"A800-SXM4-80GB", "a800"},
      {"NVIDIA GB200 NVL72", "gb200-nvl72"},
      // H20 is a prefix of H200: the longer part is listed first and wins at the same place.
      {"NVIDIA H20 96GB", "h20"},
      {"H200 SXM 141GB", "dgx-h200"},
      {"NVIDIA GH200 Grace Hopper", "dgx-h200"},
      {"NVIDIA GeForce RTX 4090 24GB", "rtx4090"},
      // The part named first is the one run on; a later mention is commentary.
      {"A100-SXM4-80GB (A100 or A800, see inferred)", "dgx-a100-80gb"}};
  for (const auto& [text, preset] : cases) {
    const ValidationRun v =
        ReadEdited("opt2022_175b_992gpu", gpu, "    gpu: " + std::string(text) + "\n");
    EXPECT_EQ(v.cluster_preset, preset) << text;
  }
  // A part without a preset is not an error for the whole file: that record is not priced and
  // says how to price it.
  const ValidationRun tpu = ReadEdited("opt2022_175b_992gpu", gpu, "    gpu: TPU v4\n");
  EXPECT_TRUE(tpu.skipped());
  EXPECT_NE(tpu.skip_reason.find("hardware.cluster"), std::string::npos) << tpu.skip_reason;
}

// A record in the bare schema names no cluster preset; an interconnect text with a rate and a
// scope picks the preset of that GPU whose scale-out network has it.
TEST(ValidationRunsTest, StatedScaleOutNetworkPicksThePresetThatHasIt) {
  const std::string gpu = "    gpu: A100-SXM4-80GB\n";
  const std::string efa = "    interconnect: 400 Gbps EFA per instance\n";
  const ValidationRun p4d =
      ReadEdited("opt2022_175b_992gpu", gpu, "    gpu: A100-SXM4-40GB\n" + efa);
  EXPECT_EQ(p4d.cluster_preset, "ec2-p4d");
  EXPECT_DOUBLE_EQ(p4d.run.cluster.network.back().bw_GBps, 400.0 / 8 / 8);  // Gb -> GB, 8 GPUs
  // No A100 80GB preset with 8-GPU NVLink has 6.25 GB/s per GPU across nodes: the part's preset
  // with the stated bandwidth across nodes (a stated fact, as a power limit is), and a note that
  // says so.
  const ValidationRun none = ReadEdited("opt2022_175b_992gpu", gpu, gpu + efa);
  EXPECT_EQ(none.cluster_preset, "dgx-a100-80gb");
  EXPECT_NE(none.hardware_note.find("no A100-SXM4-80GB preset has it"), std::string::npos)
      << none.hardware_note;
  EXPECT_DOUBLE_EQ(none.stated_scaleout_GBps, 400.0 / 8 / 8);
  EXPECT_DOUBLE_EQ(none.run.cluster.network.back().bw_GBps, 400.0 / 8 / 8);
  EXPECT_DOUBLE_EQ(none.run.cluster.network.front().bw_GBps,
                   LoadCluster("dgx-a100-80gb").network.front().bw_GBps);
  // The instance type alone names the machine.
  EXPECT_EQ(ReadEdited("opt2022_175b_992gpu", gpu, "    gpu: A100 40GB (AWS p4d.24xlarge)\n")
                .cluster_preset,
            "ec2-p4d");
}

// Without training.stack the framework text names one; when that stack cannot run the stated
// layout (the fsdp preset has no pipeline; Meta's rows run pp 16 with ZeRO-2, which
// megatron-core does not run either), the stated layout wins on torchtitan, and the notes say so.
TEST(ValidationRunsTest, AnInferredStackThatCannotRunTheLayoutGivesWay) {
  const ValidationRun v = ReadEdited("llama3paper2024_405b_8k_cp1", "    stack: torchtitan\n", "");
  ASSERT_FALSE(v.skipped()) << v.skip_reason;
  EXPECT_EQ(v.stack_name, "torchtitan");
  EXPECT_EQ(v.run.layout.pp, 16);
  bool said = false;
  for (const std::string& a : v.assumptions) {
    said = said || a.find("the fsdp stack (from the framework text) cannot run") == 0;
  }
  EXPECT_TRUE(said);
}

TEST(ValidationRunsTest, UnstatedBatchVirtualStagesAndRecomputeAreAnswered) {
  // OPT states 2M tokens per batch, not sequences: 2e6 / 2048 = 976.6 sequences over dp =
  // 992 / 8 = 124 replicas is 7.9 per replica, rounded to 8: 992.
  const ValidationRun& opt = Find("opt2022_175b_992gpu");
  ASSERT_FALSE(opt.skipped()) << opt.skip_reason;
  EXPECT_EQ(opt.run.layout.dp, 124);
  EXPECT_EQ(opt.run.layout.global_batch, 992);
  // torchtitan's own run on its interleaved schedule: torchtitan's default of 2 stages per rank.
  const ValidationRun& titan = Find("torchtitan_405B_t5_512gpu_interleaved1f1b");
  ASSERT_FALSE(titan.skipped()) << titan.skip_reason;
  EXPECT_EQ(titan.run.layout.vpp, 2);
  // Meta's run priced on the torchtitan preset states neither its virtual stages nor its
  // recompute: no recompute does not fit (Llama 3.1 405B, 8k tokens, 8 layers per stage), so
  // selective; and the vpp is the fastest of those that fit.
  const ValidationRun& meta = Find("llama3paper2024_405b_8k_cp1");
  ASSERT_FALSE(meta.skipped()) << meta.skip_reason;
  const MeasuredRun& r = meta.run;
  EXPECT_EQ(r.layout.recompute, Recompute::kSelective);
  ParallelConfig none = r.layout;
  none.recompute = Recompute::kNone;
  EXPECT_GT(EstimateMemory(r.model, r.cluster, none, r.options.memory).total,
            UsableHbmBytes(r.cluster));
  const double chosen_s = EstimateStepTime(r.model, r.cluster, r.layout, r.options).step_time_s;
  for (int64_t vpp : {2, 4, 8}) {  // the vpps that divide 8 layers (torchtitan: no uneven chunks)
    ParallelConfig other = r.layout;
    other.vpp = vpp;
    if (EstimateMemory(r.model, r.cluster, other, r.options.memory).total >
        UsableHbmBytes(r.cluster)) {
      continue;
    }
    EXPECT_LE(chosen_s, EstimateStepTime(r.model, r.cluster, other, r.options).step_time_s)
        << "vpp " << vpp;
  }
}

// A file in the bare schema (what a source's numbers look like before this project adds its
// keys) reads as the annotated records: the stack from the framework text, the primary metric
// from the measured keys, the accounting from the formula text, the power limit from the GPU
// text give the same stack, layout, measured step time and prediction for all 28 records.
TEST(ValidationRunsTest, BareSchemaRecordsReadAsTheAnnotatedOnes) {
  const std::vector<ValidationRun> bare =
      ReadValidationRuns(std::string(PLANNER_TEST_DATA_DIR) + "/runs_bare_schema.yaml");
  ASSERT_EQ(bare.size(), 28u);
  int priced = 0;
  for (const ValidationRun& b : bare) {
    const ValidationRun& a = Find(b.run.id);
    EXPECT_EQ(b.cluster_preset, a.cluster_preset) << b.run.id;
    EXPECT_EQ(b.skipped(), a.skipped()) << b.run.id;
    EXPECT_DOUBLE_EQ(b.peak_scale, a.peak_scale) << b.run.id;
    if (b.skipped() || a.skipped()) continue;
    EXPECT_EQ(Describe(b.run.layout), Describe(a.run.layout)) << b.run.id;
    // Korthikanti's two 2,240-GPU runs state no framework at all: explain's default stack, where
    // the annotated copies name megatron-lm.
    if (b.stack_name != a.stack_name) {
      EXPECT_EQ(b.stack_name, kDefaultStack) << b.run.id;
      EXPECT_NE(b.run.id.find("2240gpu"), std::string::npos) << b.run.id;
      continue;
    }
    EXPECT_EQ(b.metric, a.metric) << b.run.id;
    EXPECT_NEAR(b.run.measured_step_time_s, a.run.measured_step_time_s,
                1e-9 * a.run.measured_step_time_s)
        << b.run.id;
    EXPECT_DOUBLE_EQ(PredictStepTime(b.run, b.run.cluster.efficiency),
                     PredictStepTime(a.run, a.run.cluster.efficiency))
        << b.run.id;
    ++priced;
  }
  EXPECT_EQ(priced, 26);
}

// Every record of the project's file states keys the shared schema lacks (its stack, primary
// metric, accounting, cluster preset, power limit, shard group, stage counts, compiled loss, an
// MoE record's model preset, which its shape and the expert count in its notes find again).
// With those lines taken out, what the record's own text implies gives the same stack, layout,
// measured and predicted step time, as a new source's records would be read, except where the
// fact is in no text of the record: the two Korthikanti 2,240-GPU runs state no framework (the
// default stack), BLOOM's Jean Zay has 4-GPU NVLink groups (its interconnect text does not say),
// Meta's 405B torchtitan rows ran at 500 W ("lower TDP" in the GPU text gives no number), and the
// 25.09 H100 DeepSeek-V3 row's expert TP of 1 is in the benchmark's config file, not the table,
// as are the token dispatcher and all-to-all overlap an MoE record states in training.stack_set.
TEST(ValidationRunsTest, RecordsReadWithoutTheProjectsKeysPriceTheSame) {
  std::ifstream in(kRuns);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::set<std::string> with_stack_set;
  for (const ValidationRun& a : Runs()) {
    const size_t at = text.find("- id: " + a.run.id + "\n");
    const size_t next = text.find("\n- id: ", at + 1);
    // A stack_set of the gradient buffer's width alone moves memory, not the step time compared
    // below.
    const std::string record = text.substr(at, next - at);
    if (record.find("\n    stack_set: ") != std::string::npos &&
        record.find("\n    stack_set: [grad_buffer_bytes=2]\n") == std::string::npos) {
      with_stack_set.insert(a.run.id);
    }
  }
  // 90, and 14 NVFP4 rows (tp > 1) whose scripts turn TP overlap off.
  EXPECT_EQ(with_stack_set.size(), 104u);
  int removed = 0;
  for (const char* key :
       {"stack", "primary", "accounting", "cluster", "power_limit_W", "dp_shard", "etp",
        "first_stage_layers", "last_stage_layers", "compiled_loss", "preset", "stack_set"}) {
    const std::string line = "\n    " + std::string(key) + ": ";
    for (size_t at; (at = text.find(line)) != std::string::npos; ++removed) {
      text.erase(at, text.find('\n', at + 1) - at);
    }
  }
  EXPECT_GE(removed, 3 * static_cast<int>(Runs().size()));  // stack, primary, accounting
  const std::string path = ::testing::TempDir() + "runs_without_project_keys.yaml";
  std::ofstream(path) << text;
  const std::vector<ValidationRun> bare = ReadValidationRuns(path);
  std::remove(path.c_str());
  ASSERT_EQ(bare.size(), Runs().size());
  int same = 0;
  for (const ValidationRun& b : bare) {
    const std::string& id = b.run.id;
    if (id.rfind("korthikanti2022_530B_2240gpu", 0) == 0) {
      EXPECT_EQ(b.stack_name, kDefaultStack) << id;
      continue;
    }
    if (id.rfind("bloom2022_", 0) == 0 ||
        id.rfind("torchtitandocs2024_h100_llama31_405b", 0) == 0 ||
        id == "mbridge2509_h100_DeepSeek-V3_1024gpu_fp8cs" || with_stack_set.count(id) > 0) {
      continue;
    }
    const ValidationRun& a = Find(id);
    EXPECT_EQ(b.stack_name, a.stack_name) << id;
    EXPECT_EQ(b.skipped(), a.skipped()) << id;
    if (a.skipped() || b.skipped()) continue;
    EXPECT_EQ(Describe(b.run.layout), Describe(a.run.layout)) << id;
    EXPECT_NEAR(b.run.measured_step_time_s, a.run.measured_step_time_s,
                1e-9 * a.run.measured_step_time_s)
        << id;
    EXPECT_NEAR(PredictStepTime(b.run, b.run.cluster.efficiency),
                PredictStepTime(a.run, a.run.cluster.efficiency), 1e-9 * a.run.measured_step_time_s)
        << id;
    ++same;
  }
  // The eight named above (the DeepSeek-V3 row states a stack_set too) and 103 more (among them
  // every record stating its stage counts, which also states a stack_set).
  EXPECT_EQ(same, static_cast<int>(Runs().size()) - 8 - 103);
}

// training.stack_set states what a benchmark config ran beyond the stack preset, as explain's
// --stack-set overrides. Megatron-Bridge's 25.09 H100 DeepSeek-V3 benchmark ran the flex
// dispatcher with DeepEP (a token crosses the network once per target node) and Megatron-Core's
// EP all-to-all overlap; DeepEP keeps 20 SMs (Megatron-Core's historical default) of the H100's
// 132; and it recomputed MLA's up-projections (recompute_modules [mla_up_proj, mlp]). With the
// overlap the all-to-all hides behind compute (it is shorter) but for its SMs' share; without the
// line the run prices as the bare megatron-core stack: every copy sent, all exposed.
TEST(ValidationRunsTest, StackSetStatesWhatTheBenchmarkConfigRan) {
  const std::string id = "mbridge2509_h100_DeepSeek-V3_1024gpu_fp8cs";
  const ValidationRun& stated = Find(id);
  EXPECT_TRUE(stated.stack.a2a_overlap);
  EXPECT_TRUE(stated.stack.a2a_node_dedup);
  EXPECT_NEAR(stated.stack.a2a_sm_fraction, 20.0 / 132, 1e-4);
  EXPECT_TRUE(stated.stack.recompute_up_projections);
  EXPECT_EQ(stated.stack.grad_buffer_bytes, 2);  // the perf scripts' grad_reduce_in_fp32 False
  EXPECT_EQ(stated.stack_overrides.back(), "grad_buffer_bytes=2");  // explain gets them too
  const ValidationRun bare =
      ReadEdited(id,
                 "stack_set: [overlap.a2a=true, a2a_node_dedup=true, "
                 "a2a_sm_fraction=0.1515, recompute_up_projections=true, grad_buffer_bytes=2]",
                 "# none");
  EXPECT_FALSE(bare.stack.a2a_overlap);
  EXPECT_FALSE(bare.stack.a2a_node_dedup);
  EXPECT_FALSE(bare.stack.recompute_up_projections);
  EXPECT_EQ(bare.stack.grad_buffer_bytes, 4);
  const StepTime with =
      EstimateStepTime(stated.run.model, stated.run.cluster, stated.run.layout, stated.run.options);
  const StepTime without =
      EstimateStepTime(bare.run.model, bare.run.cluster, bare.run.layout, bare.run.options);
  EXPECT_GT(with.ep_comm_s, 0);
  // Hidden behind compute but for the compute its kernels' SMs do not do meanwhile.
  EXPECT_NEAR(with.ep_exposed_s, 0.1515 * with.ep_comm_s, 1e-9 * with.ep_comm_s);
  EXPECT_LT(with.ep_comm_s, without.ep_comm_s);  // one copy per target node, not per expert
  EXPECT_DOUBLE_EQ(without.ep_exposed_s, without.ep_comm_s);
}

// Megatron-Bridge's GB200 FSDP configs offload activations to the Grace CPU's memory: the
// record states training.cpu_offloading_num_layers and the layout carries it.
TEST(ValidationRunsTest, CpuOffloadingLayersAreRead) {
  const ValidationRun& v = Find("mbridge2509_gb200_LLAMA3-70B_64gpu_fp8cs");
  ASSERT_FALSE(v.skipped()) << v.skip_reason;
  EXPECT_EQ(v.run.layout.offload_layers, 40);  // llama3_70b_llm_pretrain.yaml:146 at ea2990630
  EXPECT_TRUE(v.run.cluster.gpu.can_offload());
  const ValidationRun bare = ReadEdited(v.run.id, "cpu_offloading_num_layers: 40", "# none");
  EXPECT_EQ(bare.run.layout.offload_layers, 0);
}

// Megatron-FSDP (named in parallelism.fsdp) shards weights and, over several distributed-
// optimizer instances, shards within groups of dp / instances ranks: Nemotron 3 Ultra's 26.08
// GB300 row runs 4 instances over DP 256, shards of 64. megatron-core's preset allows neither.
TEST(ValidationRunsTest, MegatronFsdpRecordCanShardInGroups) {
  const ValidationRun& ultra = Find("mbridge2608_gb300_Nemotron-3-Ultra_256gpu_fp8mx");
  ASSERT_FALSE(ultra.skipped()) << ultra.skip_reason;
  EXPECT_EQ(ultra.run.layout.zero, 3);
  EXPECT_EQ(ultra.run.layout.dp_shard, 256 / 4);
  EXPECT_TRUE(ultra.stack.hybrid_shard);
  EXPECT_FALSE(LoadStack("megatron-core").hybrid_shard);
}

// An MoE record in the shared schema names no model preset: its layers, width, heads, vocabulary
// and the expert count its notes state ("moe: n_experts=128") find the one preset of that shape;
// a shape no preset has takes the experts the notes state on its dense keys.
TEST(ValidationRunsTest, MoeRecordWithoutPresetTakesThePresetOfItsShape) {
  const std::string id = "mbridge2511_h100_Qwen3-30B-A3B_16gpu_fp8cs";
  const std::string line = "preset: qwen3-30b-a3b";
  const ValidationRun found = ReadEdited(id, line, "# no preset");
  ASSERT_FALSE(found.skipped()) << found.skip_reason;
  EXPECT_TRUE(found.moe);
  EXPECT_EQ(found.run.model.moe.n_experts, 128);
  EXPECT_EQ(found.run.model.moe.top_k, 8);
  EXPECT_DOUBLE_EQ(PredictStepTime(found.run, found.run.cluster.efficiency),
                   PredictStepTime(Find(id).run, Find(id).run.cluster.efficiency));
  // 47 layers: no preset has the shape; the experts come from the notes on the dense keys, whose
  // d_ff (768) the notes' d_ff_expert=768 restates.
  const std::pair<std::string, std::string> unshaped = {"n_layers: 48", "n_layers: 47"};
  const ValidationRun unmatched = ReadEdited(id, {{line, "# no preset"}, unshaped});
  ASSERT_FALSE(unmatched.skipped()) << unmatched.skip_reason;
  EXPECT_TRUE(unmatched.moe);
  EXPECT_EQ(unmatched.run.model.n_layers, 47);
  EXPECT_EQ(unmatched.run.model.moe.n_experts, 128);
  EXPECT_EQ(unmatched.run.model.moe.top_k, 8);
  EXPECT_EQ(unmatched.run.model.d_ff_expert(), 768);
  EXPECT_EQ(unmatched.run.model.norm, NormKind::kRmsNorm);  // SwiGLU with RoPE: Llama's layout
  // Notes that contradict themselves (top 800 of 128) skip the record, the file still reads.
  const ValidationRun bad =
      ReadEdited(id, {{line, "# no preset"}, unshaped, {"top_k=8", "top_k=800"}});
  EXPECT_TRUE(bad.skipped());
  EXPECT_NE(bad.skip_reason.find("no usable experts"), std::string::npos) << bad.skip_reason;
}

// null is "not stated" for every optional key, each answered by a rule the notes say: sequence
// parallelism as the stack defaults it (as explain without --sp), a GeLU MLP's width 4h, GPT's
// tied embeddings. A gated MLP's width follows no rule, nor does a model's size: such a record is
// skipped with the key named.
TEST(ValidationRunsTest, NullIsNotStatedForOptionalKeys) {
  const ValidationRun& sp = Find("megascale2024_175b_megatronlm_256gpu");  // states sp: null
  ASSERT_FALSE(sp.skipped()) << sp.skip_reason;
  EXPECT_EQ(sp.run.layout.sp, sp.stack.default_sp && sp.stack.sequence_parallel);
  const ValidationRun d_ff = ReadEdited("mtnlg2022_530b_2240gpu", "d_ff: 81920", "d_ff: null");
  EXPECT_EQ(d_ff.run.model.d_ff, 4 * 20480);
  const ValidationRun tied =
      ReadEdited("mtnlg2022_530b_2240gpu", "tied_embeddings: true", "tied_embeddings: null");
  EXPECT_TRUE(tied.run.model.tied_embeddings);
  const ValidationRun compile =
      ReadEdited("torchtitan_8B_t1_fsdp", "torch_compile: false", "torch_compile: null");
  EXPECT_EQ(compile.stack.kernels, Find("torchtitan_8B_t1_fsdp").stack.kernels);
  // What no rule answers skips the record with the key named; the file still reads.
  const ValidationRun swiglu = ReadEdited("torchtitan_8B_t1_fsdp", "d_ff: 14336", "d_ff: null");
  EXPECT_NE(swiglu.skip_reason.find("d_ff is not stated"), std::string::npos) << swiglu.skip_reason;
  const ValidationRun layers =
      ReadEdited("mtnlg2022_530b_2240gpu", "n_layers: 105", "n_layers: null");
  EXPECT_EQ(layers.run.id, "mtnlg2022_530b_2240gpu");
  EXPECT_NE(layers.skip_reason.find("model.n_layers has no value"), std::string::npos)
      << layers.skip_reason;
}

// A record that leaves tp or pp unstated is priced at the fastest layout its stack runs with
// every stated choice kept, as a tuned run would be, and says so; it is not skipped. MegaScale's
// 512-GPU run states dp 8 and 6 virtual stages: tp * pp must be 512 / 8 = 64 with pp > 1.
TEST(ValidationRunsTest, UnstatedDegreesAreChosenWithTheStatedOnesKept) {
  const ValidationRun both = ReadEdited("megascale2024_175b_megatronlm_512gpu",
                                        "    tp: 8\n    pp: 8\n", "    tp: null\n    pp: null\n");
  ASSERT_FALSE(both.skipped()) << both.skip_reason;
  const ParallelConfig& p = both.run.layout;
  EXPECT_EQ(p.dp, 8);
  EXPECT_EQ(p.tp * p.pp * p.cp, 64);
  EXPECT_GT(p.pp, 1);
  EXPECT_EQ(p.vpp, 6);
  EXPECT_EQ(p.global_batch, 768);
  bool said = false;
  for (const std::string& a : both.assumptions) said |= a.starts_with("tp and pp not stated");
  EXPECT_TRUE(said);
  // llm-foundry's 7B states dp 128 on 128 GPUs and pp 1: tp can only be 1.
  const ValidationRun tp =
      ReadEdited("llmfoundry_a100_40gb_7b_seq2048_128gpu", "    tp: 1\n", "    tp: null\n");
  ASSERT_FALSE(tp.skipped()) << tp.skip_reason;
  EXPECT_EQ(tp.run.layout.tp, 1);
  EXPECT_EQ(tp.run.layout.micro_batch, 18);
}

// What the other stated values determine is derived, not skipped: a degree the GPU count leaves
// (8 GPUs over dp 4, tp 1, pp 1: cp 2), the GPU count from the degrees (4 * 12 * 8 = 384), one
// stage's layers from the other (BLOOM: 70 layers on 12 stages, the last 5, so the 65 left split
// 5 + 10 x 6), a primary metric without its value (the next most direct measurement stated,
// BLOOM's 149.02 TFLOP/s per GPU in Narayanan's accounting: 96 B s l h^2 (1 + s/6h + V/16lh) with
// B = s = 2048, l = 70, h = 14336, V = 250880 is 6.021 EFLOP, / (149.02e12 x 384) = 105.22 s, its
// stated iteration time),
// fp16 where the GPU has no bf16 (V100), and expert TP 1 where the experts do not fit at etp = tp.
TEST(ValidationRunsTest, WhatTheStatedValuesDetermineIsDerived) {
  const ValidationRun cp =
      ReadEdited("torchtitan_8B_t2_cp2_seq64k", "    cp: 2\n", "    cp: null\n");
  ASSERT_FALSE(cp.skipped()) << cp.skip_reason;
  EXPECT_EQ(cp.run.layout.cp, 2);
  const ValidationRun gpus =
      ReadEdited("bloom2022_176b_384gpu", "    num_gpus: 384\n", "    num_gpus: null\n");
  ASSERT_FALSE(gpus.skipped()) << gpus.skip_reason;
  EXPECT_EQ(gpus.run.cluster.total_gpus(), 384);
  const ValidationRun first = ReadEdited("bloom2022_176b_384gpu", "    first_stage_layers: 5\n",
                                         "    first_stage_layers: null\n");
  ASSERT_FALSE(first.skipped()) << first.skip_reason;
  EXPECT_EQ(first.run.layout.first_stage_layers, 5);
  EXPECT_EQ(first.run.layout.last_stage_layers, 5);
  const ValidationRun primary = ReadEdited(
      "bloom2022_176b_384gpu", "    iteration_time_s: 105.22\n", "    iteration_time_s: null\n");
  ASSERT_FALSE(primary.skipped()) << primary.skip_reason;
  EXPECT_EQ(primary.metric_key, "tflops_per_gpu");
  EXPECT_NEAR(primary.run.measured_step_time_s, 105.22, 0.05);
  // A primary naming a metric validate does not read is treated as one not stated.
  const ValidationRun unread = ReadEdited(
      "bloom2022_176b_384gpu", "    primary: iteration_time_s\n", "    primary: samples_per_sec\n");
  ASSERT_FALSE(unread.skipped()) << unread.skip_reason;
  EXPECT_EQ(unread.metric_key, "iteration_time_s");
  EXPECT_DOUBLE_EQ(unread.run.measured_step_time_s, 105.22);
  const ValidationRun fp16 =
      ReadEdited("shoeybi2019_8.3b_512gpu", "    precision: fp16 mixed (dynamic loss scaling)\n",
                 "    precision: null\n");
  ASSERT_FALSE(fp16.skipped()) << fp16.skip_reason;
  EXPECT_EQ(fp16.run.layout.dtype, Dtype::kFp16);
  // Qwen3-235B on 256 GPUs at tp 2, pp 8: dp * cp = 16 ranks cannot hold ep 32 at etp = tp, so
  // the experts fold onto their own grid at etp 1.
  const ValidationRun etp =
      ReadEdited("mbridge2511_h100_Qwen3-235B-A22B_256gpu_fp8cs", "    etp: 1\n", "");
  ASSERT_FALSE(etp.skipped()) << etp.skip_reason;
  EXPECT_EQ(etp.run.layout.etp, 1);
  const ValidationRun accounting = ReadEdited(
      "nemo2407_fp8_h100_LLAMA2-7B", "    accounting: megatron-core\n", "    accounting: null\n");
  ASSERT_FALSE(accounting.skipped()) << accounting.skip_reason;
}

TEST(ValidationRunsTest, MalformedRecordIsAnErrorAtItsLine) {
  const std::string path = ::testing::TempDir() + "runs_bad.yaml";
  std::ifstream in(kRuns);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = text.find("    n_layers: 24");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 16, "    n_layer: 24");
  std::ofstream(path) << text;
  try {
    ReadValidationRuns(path);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path + ":"), std::string::npos) << what;
    EXPECT_NE(what.find("unknown key 'model.n_layer'"), std::string::npos) << what;
    EXPECT_NE(what.find("did you mean 'n_layers'"), std::string::npos) << what;
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace planner
