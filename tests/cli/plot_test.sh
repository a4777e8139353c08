#!/usr/bin/env bash
# scripts/plot_plan.py, plot_memory.py, plot_size.py and plot_tornado.py on fresh JSON from the
# built planner:
#   tests/cli/plot_test.sh path/to/planner
# and scripts/plot_trace.py on a fresh `planner simulate --trace`:
# Checks the images exist, are non-empty PNG/SVG, and that bad input exits 2 with a message.
# No Python with matplotlib is a failure, not a skip (scripts/setup.sh installs
# python3-matplotlib); $PYTHON picks one.
set -u
planner=${1:?usage: plot_test.sh PLANNER}
here=$(cd "$(dirname "$0")" && pwd)
scripts=$here/../../scripts

python=""
for p in ${PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c "import matplotlib" 2>/dev/null; then
    python=$p
    break
  fi
done
if [ -z "$python" ]; then
  echo "FAIL: no python3 with matplotlib (run scripts/setup.sh; Debian: python3-matplotlib; or set PYTHON)"
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

run_ok() {  # run_ok NAME CMD...: the command must exit 0
  local name=$1
  shift
  if ! "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    fail "$name exited $?: $(cat "$tmp/$name.err")"
  fi
}

check_image() {  # check_image FILE MAGIC
  if [ ! -s "$1" ]; then
    fail "$1 missing or empty"
  elif ! head -c 64 "$1" | grep -aq "$2"; then
    fail "$1 does not start like a $2 file"
  fi
}

expect_exit2() {  # expect_exit2 NAME SUBSTRING CMD...: exit 2 and stderr containing SUBSTRING
  local name=$1 want=$2
  shift 2
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  local rc=$?
  if [ "$rc" -ne 2 ]; then
    fail "$name: exit $rc, expected 2; stderr: $(cat "$tmp/$name.err")"
  elif ! grep -qF -- "$want" "$tmp/$name.err"; then
    fail "$name: stderr lacks '$want': $(cat "$tmp/$name.err")"
  fi
}

# Fresh JSON: a small search and two layouts of one model.
run_ok plan "$planner" plan dgx-h100 gpt2-small --gpus 16 --global-batch 64 --top 300 \
  --format json --threads 2
cp "$tmp/plan.out" "$tmp/plan16.json"
run_ok plan32 "$planner" plan dgx-h100 gpt2-small --gpus 32 --global-batch 64 --top 300 \
  --format json --threads 2
cp "$tmp/plan32.out" "$tmp/plan32.json"
run_ok explain_dp "$planner" explain dgx-h100 gpt2-small --gpus 16 --global-batch 64 \
  --zero 1 --format json
cp "$tmp/explain_dp.out" "$tmp/dp.json"
run_ok explain_tp "$planner" explain dgx-h100 gpt2-small --gpus 16 --global-batch 64 \
  --tp 4 --pp 2 --sp --recompute full --format json
cp "$tmp/explain_tp.out" "$tmp/tp.json"

run_ok plot_plan "$python" "$scripts/plot_plan.py" "$tmp/plan16.json" -o "$tmp/plan.png"
check_image "$tmp/plan.png" PNG
run_ok plot_plan_two "$python" "$scripts/plot_plan.py" "$tmp/plan16.json" "$tmp/plan32.json" \
  --cost tokens --heatmap 2 -o "$tmp/plan2.svg"
check_image "$tmp/plan2.svg" "<?xml"
run_ok plot_plan_stdin sh -c "\"$python\" \"$scripts/plot_plan.py\" - --plot heatmap \
  -o \"$tmp/heat.png\" < \"$tmp/plan16.json\""
check_image "$tmp/heat.png" PNG
run_ok plot_memory "$python" "$scripts/plot_memory.py" "$tmp/dp.json" "$tmp/tp.json" \
  -o "$tmp/memory.png"
check_image "$tmp/memory.png" PNG
run_ok size "$planner" size gpt2-small --tokens 10B --gpu dgx-h100 --max-gpus 16 --format json
cp "$tmp/size.out" "$tmp/size.json"
run_ok plot_size "$python" "$scripts/plot_size.py" "$tmp/size.json" -o "$tmp/size.png"
check_image "$tmp/size.png" PNG
run_ok sensitivity "$planner" sensitivity gpt2-small --tokens 10B --gpu dgx-h100 --max-gpus 16 \
  --format json
cp "$tmp/sensitivity.out" "$tmp/sensitivity.json"
run_ok plot_tornado "$python" "$scripts/plot_tornado.py" "$tmp/sensitivity.json" \
  -o "$tmp/tornado.svg"
check_image "$tmp/tornado.svg" "<?xml"
run_ok simulate "$planner" simulate dgx-a100-80gb gpt2-small --gpus 8 --tp 2 --pp 2 \
  --global-batch 16 --trace "$tmp/trace.json"
run_ok plot_trace "$python" "$scripts/plot_trace.py" "$tmp/trace.json" "$tmp/trace.png" \
  --zoom-end 0.01 --title "gpt2-small tp2 pp2"
check_image "$tmp/trace.png" PNG
run_ok help_plan "$python" "$scripts/plot_plan.py" --help
run_ok help_memory "$python" "$scripts/plot_memory.py" --help

# Bad input: exit 2 with a message naming the problem.
expect_exit2 plan_missing_file "no such file" \
  "$python" "$scripts/plot_plan.py" "$tmp/nope.json" -o "$tmp/x.png"
expect_exit2 plan_given_explain "this is \`planner explain\` JSON" \
  "$python" "$scripts/plot_plan.py" "$tmp/dp.json" -o "$tmp/x.png"
expect_exit2 memory_given_plan "this is \`planner plan\` JSON" \
  "$python" "$scripts/plot_memory.py" "$tmp/plan16.json" -o "$tmp/x.png"
echo '{"schema_version": 2, "plans": []}' >"$tmp/v2.json"
expect_exit2 memory_bad_schema "schema_version 2" \
  "$python" "$scripts/plot_memory.py" "$tmp/v2.json" -o "$tmp/x.png"
echo 'not json' >"$tmp/text.json"
expect_exit2 plan_not_json "not JSON" "$python" "$scripts/plot_plan.py" "$tmp/text.json" -o "$tmp/x.png"
expect_exit2 memory_bad_extension "unknown image format" \
  "$python" "$scripts/plot_memory.py" "$tmp/dp.json" -o "$tmp/x.jpg"
expect_exit2 size_given_plan "not \`planner size\` JSON" \
  "$python" "$scripts/plot_size.py" "$tmp/plan16.json" -o "$tmp/x.png"
expect_exit2 size_unwritable "cannot write" \
  "$python" "$scripts/plot_size.py" "$tmp/size.json" -o "$tmp/no/such/dir/x.png"
expect_exit2 tornado_given_size "not \`planner sensitivity\` JSON" \
  "$python" "$scripts/plot_tornado.py" "$tmp/size.json" -o "$tmp/x.png"
[ -e "$tmp/x.png" ] && fail "a failed run wrote $tmp/x.png"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "plot scripts: all checks passed"
