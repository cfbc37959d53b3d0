#!/usr/bin/env bash
# Build llama.cpp's own OpenAI-compatible server (llama-server) from the llama.cpp sources vendored in the pinned
# llama-cpp-python sdist, for any x86-64 (not just this CPU), statically linked, into OUT_DIR:
#   scripts/build_llama_server.sh VERSION OUT_DIR [PYTHON]
# Only PyPI is reached (pip download of the sdist); the build takes ~8.5 minutes on 2 cores, once per pin.
set -euo pipefail
version=$1
out=$2
python=${3:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$work"
tar -xzf "$work"/llama_cpp_python-"$version".tar.gz -C "$work"
src="$work/llama_cpp_python-$version/vendor/llama.cpp"
# A unity build (several sources per compiler run) cuts the compile time by ~40%; three files that cannot share a
# compiler run with their neighbours are left out of it. The greedy outputs are byte-identical to a normal build's.
echo 'set_source_files_properties(json.cpp PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)' >>"$src/common/CMakeLists.txt"
echo 'set_source_files_properties(mtmd-helper.cpp mtmd-helper-gen.cpp PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)' \
  >>"$src/tools/mtmd/CMakeLists.txt"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$src" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
  -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DCMAKE_UNITY_BUILD=ON >"$work/configure.log" || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" --target llama-server -j "$(nproc)" >"$work/build.log" || { tail -50 "$work/build.log"; exit 1; }
mkdir -p "$out"
install -m 755 "$work/build/bin/llama-server" "$out/llama-server"
"$out/llama-server" --version 2>&1 | head -2
