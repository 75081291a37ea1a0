#!/bin/sh
# Runs on the GPU machine (no Rust there): unpacks the binaries built by scripts/gpu/pack.sh,
# runs tensor-cuda's tests and the integration tests of tensor-core, tensor-autograd and tensor-nn
# with TENSOR_REQUIRE_CUDA=1 (a skip is a failure), trains LeNet on the bundled MNIST and the GPT
# on the bundled plays with --device cuda, then our CUDA benchmarks and PyTorch's.
cd "$(dirname "$0")/.."
# Proptests run at most 64 cases each here (the same first cases; CI runs them all on the CPU).
export RUST_BACKTRACE=1 TENSOR_REQUIRE_CUDA=1 TENSOR_TEST_CASES_MAX=${TENSOR_TEST_CASES_MAX:-64}
LOGS=${OUT:-.gpu/out}; mkdir -p "$LOGS"
bin=$(mktemp -d); tar -C "$bin" -xJf .gpu/bin.tar.xz; bin="$bin/bin"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
fail=0; pass=0
for t in "$bin"/*-*; do
  name=$(basename "$t")
  if timeout 240 "$t" --test-threads=4 > "$LOGS/$name.log" 2>&1; then pass=$((pass+1)); echo "ok: $name ($(grep -E '^test result' "$LOGS/$name.log" | tail -1))"
  else fail=$((fail+1)); echo "FAILED: $name"; grep -E '^test .* FAILED|panicked' "$LOGS/$name.log" | head -40; tail -15 "$LOGS/$name.log"; fi
done
echo "test binaries: $pass passed, $fail failed"
if [ -x "$bin/mnist" ]; then
  timeout ${MNIST_TIMEOUT:-120} "$bin/mnist" --data data/mnist-10k --device cuda --epochs ${MNIST_EPOCHS:-3} --save "$LOGS/lenet.safetensors" > "$LOGS/mnist_cuda.log" 2>&1; echo "mnist exit $?"; tail -5 "$LOGS/mnist_cuda.log"
fi
if [ -x "$bin/gpt" ]; then
  timeout ${GPT_TIMEOUT:-150} "$bin/gpt" --device cuda --steps ${GPT_STEPS:-2000} > "$LOGS/gpt_cuda.log" 2>&1; echo "gpt exit $?"; tail -3 "$LOGS/gpt_cuda.log"
fi
if [ -x "$bin/bench" ]; then timeout 150 "$bin/bench" --device cuda > "$LOGS/bench_cuda.jsonl" 2> "$LOGS/bench_cuda.err"; echo "bench exit $?"; cat "$LOGS/bench_cuda.jsonl"; tail -5 "$LOGS/bench_cuda.err"; fi
if [ -f .gpu/torch_reference.py ] && [ -z "${SKIP_TORCH:-}" ]; then timeout 150 python3 .gpu/torch_reference.py cuda > "$LOGS/torch_cuda.jsonl" 2>&1; echo "torch exit $?"; cat "$LOGS/torch_cuda.jsonl"; fi
