#!/usr/bin/env bash
# The checks CPU-only CI cannot make, for a machine with a CUDA GPU and the course environment:
#
#     bash scripts/cuda_check.sh [OUT_DIR]      # default OUT_DIR: cuda-check/; PYTHON=.venv/bin/python to choose
#
# 1. flowlib's unit tests with a GPU present (tests/library/test_layers.py::test_layers_on_cuda runs only then);
# 2. flowlib against zuko and nflows on CUDA (benchmarks/compare.py; skipped if they are not installed);
# 3. every notebook top to bottom in a fresh kernel on copies (the setup cells pick CUDA when it is
#    there), so every assertion in them runs on the GPU; each notebook's time is printed.
# Strict nbval is not run here: a GPU trains to slightly different numbers than the committed CPU
# outputs, which nbval would rightly report as different.
# Each step's output goes to OUT_DIR/<step>.txt; the exit status is non-zero if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-cuda-check}"
mkdir -p "$out"
status=0
py="${PYTHON:-python3}"  # the Python of the course environment

"$py" -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU visible to torch'; \
print('torch', torch.__version__, 'on', torch.cuda.get_device_name())" 2>&1 | tee "$out/device.txt" || exit 1

step() {  # step NAME COMMAND...: run, keep its output, remember a failure
    local name=$1; shift
    echo "== $name: $*"
    "$@" 2>&1 | tee "$out/$name.txt"
    local rc=${PIPESTATUS[0]}
    echo "== $name: exit $rc"
    [ "$rc" -eq 0 ] || status=1
}

step tests "$py" -m pytest -q -m "not slow" tests/library/test_layers.py tests/library/test_flow.py tests/library/test_errors.py \
    tests/library/test_distill.py tests/library/test_train.py tests/library/test_datasets.py flowlib
if "$py" -c "import zuko, nflows" 2>/dev/null; then
    step compare "$py" benchmarks/compare.py --device cuda
else
    echo "== compare: skipped (pip install -r benchmarks/requirements.txt to compare with zuko and nflows)"
fi
step notebooks "$py" benchmarks/notebook_times.py
exit $status
