#!/bin/sh
# Builds what the GPU machine runs for this workspace and lays it in .gpu/ (git-ignored):
# tensor-cuda's test binaries, the integration tests of tensor-core, tensor-autograd and
# tensor-nn (their test bodies run on every device; with `cuda`, the twin suites that compare
# the GPU with the CPU too), the `bench` binary and the `mnist` and `gpt` examples, stripped
# and packed into one xz archive (the device takes 64 MiB at most),
# with a runner .gpu/run.sh. A narrower, smaller variant of ../shared/gpu/pack.sh, which
# builds every test binary of the workspace (CPU-only tests included).
#
# usage (from the repository root): sh scripts/gpu/pack.sh
# then, on the GPU machine:         sh .gpu/run.sh   (logs under $OUT, or .gpu/out)
set -eu
root=$(git rev-parse --show-toplevel)
cd "$root"
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/gpu}"
export CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=symbols
rm -rf .gpu && mkdir -p .gpu/bin
executables() {
  python3 -c '
import json, sys
for line in sys.stdin:
    try: m = json.loads(line)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["executable"])'
}
{
  cargo test --release -p tensor-cuda --no-run --message-format=json
  cargo test --release -p tensor-core --test integration --no-run --message-format=json
  cargo test --release -p tensor-autograd --features cuda --test integration --no-run --message-format=json
  cargo test --release -p tensor-nn --features cuda --test integration --no-run --message-format=json
  cargo build --release -p tensor-bench --features cuda --bin bench --message-format=json
  cargo build --release -p tensor-nn --features cuda --example mnist --message-format=json
  cargo build --release -p tensor-nn --features cuda --example gpt --message-format=json
} | executables | sort -u > .gpu/executables.txt
while read -r exe; do cp "$exe" .gpu/bin/; done < .gpu/executables.txt
cp ../shared/bench/torch_reference.py .gpu/ 2>/dev/null || true
tar -C .gpu -cJf .gpu/bin.tar.xz bin && rm -rf .gpu/bin
cp scripts/gpu/run.sh .gpu/run.sh
echo "packed $(wc -l < .gpu/executables.txt) executables into .gpu/ ($(du -sh .gpu | cut -f1)); 64 MiB at most travel"
