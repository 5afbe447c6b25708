/**
 * The CPU backend behind the backend interface: eager programs to realize,
 * compiled programs to replay, the kernel tiers of `kernels.ts`.
 * @module
 */
import { isRealized, Node } from "../../../core/ir/ir.ts";
import type { Backend } from "../backend.ts";
import { kernelBackend, kernelThreads } from "./kernels.ts";
import { compileProgram } from "./program.ts";
import { realizeOnCpu } from "../../eager_programs.ts";
import { schedule } from "../../schedule.ts";

/** The CPU backend. */
export const cpu: Backend = {
  realize: realizeOnCpu,
  read: (node) => Promise.resolve(node.buffer!),
  compile(placeholders, outputs, donated) {
    const kernels = schedule(outputs);
    const program = compileProgram(kernels, placeholders, outputs, donated);
    return {
      kernels,
      valid: true,
      run(args) {
        const pending = args.filter((n) => !isRealized(n));
        if (pending.length > 0) realizeOnCpu(pending);
        // as held: a stale host array (updated in Wasm memory) is read there (core/ir/_host.ts)
        const buffers = program(args.map((n) => n.heldBuffer!));
        return outputs.map((n, i) => Node.fromBuffer(buffers[i], n.dtype, n.shape));
      },
    };
  },
  place: (kernel) => ({ tier: kernelBackend(kernel), threads: kernelThreads(kernel) }),
  dtypeGap: () => undefined,
};
