/**
 * The WebGPU backend behind the backend interface, over the loaded
 * `device.ts`. The float64 scalars device kernels read are computed
 * on the host. jit's replay splits a traced program in two: host work (the
 * outputs that are constant-like, e.g. an optimizer's step count, and those
 * float64 scalars) compiles to a CPU program, and the rest to a GPU program
 * that reads the host results as extra arguments. Each call runs both with
 * no scheduling or codegen.
 * @module
 */
import { allocate } from "../../../core/ir/dtype.ts";
import { isRealized, Node, pendingNodes } from "../../../core/ir/ir.ts";
import { runKernels } from "../cpu/kernels.ts";
import { compileProgram } from "../cpu/program.ts";
import type * as WebGpu from "./device.ts";
import type { Backend, Replay } from "../backend.ts";
import { schedule } from "../../schedule.ts";

/**
 * The WebGPU backend.
 * @param gpu the loaded WebGPU module (its device open)
 * @param realizeAll realizes nodes on any device (the host ones a replay's arguments need)
 * @returns the backend
 */
export function webgpuBackend(gpu: typeof WebGpu, realizeAll: (nodes: Node[]) => void): Backend {
  return {
    realize(nodes) {
      const host = float64Constants(nodes);
      if (host.length > 0) runKernels(schedule(host));
      const kernels = schedule(nodes);
      const onHost = kernels.find((k) => k.kind === "host");
      if (onHost !== undefined) {
        throw new Error(
          `${onHost.host!.caller}() on webgpu runs on the host when the value is read ` +
            "asynchronously: read its result first (await x.data() or await lt.toCpu(x))",
        );
      }
      gpu.runKernels(kernels);
    },
    read: (node) => gpu.readNode(node),
    compile: (placeholders, outputs, donated) =>
      compileGpuReplay(gpu, realizeAll, placeholders, outputs, donated),
    place: () => ({ tier: "webgpu", threads: 1 }),
    dtypeGap: (dtype) => gpu.dtypeGap(dtype),
  };
}

/**
 * The constant expressions (e.g. an optimizer's float64 step-size scalars)
 * read by device nodes that need float64 on the way: the CPU computes them,
 * and the device reads the results.
 */
function float64Constants(roots: readonly Node[]): Node[] {
  const memo = new Map<Node, boolean>();
  const needsF64 = (n: Node): boolean => {
    let known = memo.get(n);
    if (known === undefined) {
      known = n.dtype === "float64" || n.src.some(needsF64);
      memo.set(n, known);
    }
    return known;
  };
  const found = new Set<Node>();
  for (const n of pendingNodes(roots)) {
    if (n.neutral) continue;
    for (const s of n.src) if (s.neutral && s.op !== "const" && needsF64(s)) found.add(s);
  }
  return [...found];
}

const NONE = new Float32Array(0);

function readsArgs(n: Node, args: ReadonlySet<Node>, memo: Map<Node, boolean>): boolean {
  let found = memo.get(n);
  if (found === undefined) {
    found = args.has(n) || n.src.some((s) => readsArgs(s, args, memo));
    memo.set(n, found);
  }
  return found;
}

/** Compiles a traced program (arguments on webgpu, or neutral ones on the cpu) for replay. */
function compileGpuReplay(
  gpu: typeof WebGpu,
  realizeAll: (nodes: Node[]) => void,
  placeholders: readonly Node[],
  outputs: readonly Node[],
  donated?: ReadonlySet<number>,
): Replay {
  const onGpu = outputs.filter((n) => !n.neutral);
  const host = [...new Set([...outputs.filter((n) => n.neutral), ...float64Constants(onGpu)])];
  // host values reading no argument (possibly captured tensors) are computed once, now
  const [args, memo] = [new Set(placeholders), new Map<Node, boolean>()];
  const fixed = host.filter((n) => !readsArgs(n, args, memo));
  if (fixed.length > 0) runKernels(schedule(fixed));
  const hostKernels = schedule(host);
  const hostProgram = compileProgram(hostKernels, placeholders, host);
  // the GPU program reads host results as arguments: the traced ones stand computed in its schedule
  for (const n of host) if (!isRealized(n)) n.setBuffer(allocate(n.dtype, 0));
  const gpuKernels = schedule(onGpu);
  const program = gpu.compileGpuProgram(gpuKernels, [...placeholders, ...host], onGpu, donated);
  const hostIndex = new Map(host.map((n, i) => [n, i]));
  const gpuIndex = new Map(onGpu.map((n, i) => [n, i]));
  return {
    kernels: [...hostKernels, ...gpuKernels],
    get valid() {
      return program.valid;
    },
    run(args) {
      realizeAll([...args]);
      const buffers = host.length === 0 ? [] : hostProgram(args.map((n) => n.buffer ?? NONE));
      const hostNodes = host.map((n, i) => {
        const node = Node.fromBuffer(buffers[i], n.dtype, n.shape, n.device);
        node.neutral = true; // like a realized constant: usable on any device
        return node;
      });
      const data = program.run([...args, ...hostNodes]);
      return outputs.map((n) => {
        const h = hostIndex.get(n);
        if (h !== undefined) return hostNodes[h];
        const node = Node.placeholder(n.dtype, n.shape, "webgpu");
        node.setDeviceData(data[gpuIndex.get(n)!]);
        return node;
      });
    },
  };
}
