#!/usr/bin/env bash
# Smoke test of the npm build: packs dist/npm (made by `deno task build:npm`),
# installs the tarball into a scratch project as "@lathe/lathe", runs
# seed000.mjs and io.mjs (ONNX import and the safetensors/.npy/.npz files
# through the runtime's file system) on each runtime named in the arguments
# (node, bun, deno; default: node) and type-checks types.ts with tsc's Node
# resolution. On node
# and bun it also runs examples/webgpu_node.mjs (training on a GPU through the
# npm package `webgpu`, Dawn, checked against the CPU) when ./node_modules has
# `webgpu`; the example itself says so and passes when Dawn finds no adapter.
#
# Usage: bash _tools/smoke/npm.sh [node] [bun] [deno]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ ! -f "$root/dist/npm/package.json" ]; then
  echo "error: dist/npm is missing: run \`deno task build:npm\` first" >&2
  exit 1
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/lathe-npm-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT

(cd "$root/dist/npm" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/*.tgz)"
echo "packed $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"
cd "$work"
printf '{ "name": "lathe-smoke", "private": true, "type": "module" }\n' >package.json
npm install --no-audit --no-fund --loglevel=error "$tarball" typescript@5.9.3 </dev/null
cp "$here/seed000.mjs" "$here/io.mjs" "$here/types.ts" "$root/examples/webgpu_node.mjs" .
cp "$root/tests/fixtures/io/mlp.onnx" "$root/tests/fixtures/io/onnx_ref.safetensors" .
has_webgpu=false
if [ -d "$root/node_modules/webgpu" ]; then
  ln -s "$root/node_modules/webgpu" node_modules/webgpu
  has_webgpu=true
fi

# the GPU example under node or bun; Dawn's OpenGL ES backend needs a headless EGL
gpu_example() {
  if [ "$has_webgpu" = true ]; then
    EGL_PLATFORM="${EGL_PLATFORM:-surfaceless}" "$1" webgpu_node.mjs
  else
    echo "$1: the npm package webgpu is not in ./node_modules: webgpu_node.mjs is skipped"
  fi
}

for runtime in "${@:-node}"; do
  case "$runtime" in
    node) node seed000.mjs && node io.mjs && gpu_example node ;;
    bun) bun seed000.mjs && bun io.mjs && gpu_example bun ;;
    deno)
      deno run --allow-read --allow-env seed000.mjs &&
        deno run --allow-read --allow-env --allow-write=. io.mjs
      ;;
    *)
      echo "error: unknown runtime $runtime (expected node, bun or deno)" >&2
      exit 2
      ;;
  esac
done

npx tsc --noEmit --strict --target es2022 --module nodenext --moduleResolution nodenext types.ts
echo "types.ts type-checks against the package's .d.ts files (tsc $(npx tsc --version))"
