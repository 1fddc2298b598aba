#!/usr/bin/env bash
# The concurrency benchmark (bench/concurrency.ts) on a GPU: the node against llama-server, both
# with every layer offloaded, at 1, 4 and 8 streams, on the TinyLlama-1.1B-shape model.
#
#   bash node/bench/gpu.sh [extra concurrency.ts options, e.g. --rounds 5 --threads 4]
#
# 1. Finds a GPU backend: CUDA (nvcc and a GPU that nvidia-smi lists), else Vulkan (vulkaninfo
#    sees a device; glslc to build). NS_LLM_GPU_BACKEND=cuda|vulkan chooses. None: one line, exit 1.
# 2. Checks that node-llama-cpp's prebuilt binary for that backend loads (the node uses it).
# 3. Builds llama-server with that backend from the llama.cpp source node-llama-cpp bundles (the
#    same version the node runs) under $NS_LLM_BENCH_DIR (default $TMPDIR/ns-llm-bench), once.
# 4. Runs concurrency.ts --gpu-layers 99 (all of TinyLlama's 23: llama-server -ngl 99, the node the
#    governed cap limits.maxGpuLayers 99) --expect-backend <backend> --streams 1,4,8; concurrency.ts
#    writes the model if needed (620 MB, once) and prints the table.
#
# Needs: node >= 22.13 on PATH, git, cmake, a C++ compiler, and the backend's SDK (CUDA toolkit, or
# the Vulkan headers/loader and glslc). Not run on the project's machines: they have no GPU.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_dir="$(dirname "$here")"
root="$(dirname "$node_dir")"
bench_dir="${NS_LLM_BENCH_DIR:-${TMPDIR:-/tmp}/ns-llm-bench}"
jobs="${NS_LLM_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"

fail() {
  echo "gpu.sh: $*" >&2
  exit 1
}

have_cuda() { command -v nvcc >/dev/null 2>&1 && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; }
have_vulkan() { command -v vulkaninfo >/dev/null 2>&1 && vulkaninfo --summary 2>/dev/null | grep -q 'deviceName'; }

backend="${NS_LLM_GPU_BACKEND:-}"
if [[ -z "$backend" ]]; then
  if have_cuda; then
    backend=cuda
  elif have_vulkan; then
    backend=vulkan
  else
    fail "no GPU backend found: neither CUDA (nvcc, and a GPU listed by nvidia-smi -L) nor Vulkan (vulkaninfo --summary listing a device); nothing to measure on this machine"
  fi
fi
case "$backend" in
  cuda) have_cuda || fail "NS_LLM_GPU_BACKEND=cuda, but nvcc or a GPU listed by nvidia-smi -L is missing" ;;
  vulkan)
    have_vulkan || fail "NS_LLM_GPU_BACKEND=vulkan, but vulkaninfo --summary lists no device"
    command -v glslc >/dev/null 2>&1 || fail "Vulkan found, but glslc (the shader compiler llama.cpp's Vulkan build needs) is not on PATH"
    ;;
  *) fail "NS_LLM_GPU_BACKEND must be cuda or vulkan, not '$backend'" ;;
esac
for tool in node git cmake; do command -v "$tool" >/dev/null 2>&1 || fail "$tool is not on PATH"; done
echo "gpu.sh: backend $backend"

# The node runs llama.cpp from node-llama-cpp's prebuilt binaries (gpu "auto"): that backend's must load.
cd "$root"
node --input-type=module -e '
  const { getLlama } = await import("node-llama-cpp");
  const backend = process.argv[1];
  try {
    const llama = await getLlama({ gpu: backend, build: "never" });
    console.log(`gpu.sh: node-llama-cpp loads ${llama.gpu} (${(await llama.getGpuDeviceNames()).join(", ")})`);
    await llama.dispose();
  } catch (error) {
    console.error(`gpu.sh: node-llama-cpp cannot load its ${backend} binary (@node-llama-cpp/*-${backend}): ${error.message}`);
    process.exit(1);
  }
' "$backend"

# llama-server from the bundled llama.cpp source, built for the backend (once).
src="$bench_dir/llama.cpp"
build="$bench_dir/llama.cpp-build-$backend"
server="$build/bin/llama-server"
if [[ ! -x "$server" ]]; then
  bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
  [[ -f "$bundle" ]] || fail "no llama.cpp source bundle at $bundle (is node-llama-cpp installed?)"
  mkdir -p "$bench_dir"
  [[ -d "$src/.git" ]] || git clone --quiet "$bundle" "$src"
  flag=$([[ "$backend" == cuda ]] && echo -DGGML_CUDA=ON || echo -DGGML_VULKAN=ON)
  echo "gpu.sh: building llama-server ($flag) in $build"
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release "$flag" -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "$build" -j "$jobs" --target llama-server
fi
[[ -x "$server" ]] || fail "the build left no llama-server at $server"

# The benchmark: every layer offloaded on both, the same 1/4/8 streams as on the CPU.
exec node "$node_dir/bench/concurrency.ts" --llama-server "$server" --gpu-layers 99 --expect-backend "$backend" --streams 1,4,8 "$@"
