#!/usr/bin/env bash
# Rebuilds kernels.wasm (for the backend's plain memory) and kernels-shared.wasm (for the threaded build's shared
# memory) from kernels.c, and checks that neither uses memory of its own (no data segments, no stack pointer).
# Needs clang and wasm-ld, version 14 or later (Debian: apt-get install clang-14 lld-14). EXTRA adds compiler flags,
# e.g. EXTRA=-DFG_POSITIONS=128 to try another block size.
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-$(command -v clang-14 || command -v clang)}
LLD=${WASM_LD:-$(command -v wasm-ld-14 || command -v wasm-ld)}
OBJDUMP=${OBJDUMP:-$(command -v llvm-objdump-14 || command -v llvm-objdump || echo /usr/lib/llvm-14/bin/llvm-objdump)}
FLAGS=(--target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -fno-builtin -ffreestanding -Wall -Wextra -Werror
  -fuse-ld="$LLD" -Wl,--no-entry -Wl,--import-memory -Wl,--strip-debug -Wl,-z,stack-size=0)
"$CLANG" "${FLAGS[@]}" ${EXTRA:-} -o kernels.wasm kernels.c
"$CLANG" "${FLAGS[@]}" ${EXTRA:-} -matomics -Wl,--shared-memory -Wl,--max-memory=4294967296 -o kernels-shared.wasm kernels.c
for f in kernels.wasm kernels-shared.wasm; do
  if "$OBJDUMP" -h "$f" | grep -qE ' DATA '; then echo "$f has a data segment: kernels.c must hold no static data" >&2; exit 1; fi
  if "$OBJDUMP" -d "$f" | grep -qE 'global\.(get|set)'; then echo "$f uses the stack pointer: a kernel keeps an array in memory" >&2; exit 1; fi
done
ls -l kernels.wasm kernels-shared.wasm
