/**
 * Runs a kernel with sibling outputs (jit/_siblings.ts) in a compiled
 * program: each sibling is stored into a buffer passed as one of the
 * kernel's inputs, a Wasm block on the Wasm tier (kept there for the
 * program's later kernels, or copied out with the block kept as the array's
 * resident copy when the program returns it), else a new array.
 * @module
 */
import { allocate, type DataArray } from "../../../core/ir/dtype.ts";
import { execute, type Step } from "./kernels.ts";
import { heap, type Output, type Value } from "./wasm/_runtime.ts";

/**
 * Runs `step` (its kernel has siblings) and returns its output's value, then
 * each sibling's.
 * @param step the prepared merged kernel
 * @param inputs the kernel's input values (those of the siblings' slots are ignored)
 * @param output what becomes of the kernel's own output
 * @param blocks the run's Wasm blocks (kept siblings join them)
 * @param returned for each sibling, whether the program returns it (then it is an array)
 * @param reuse a kept JS output's buffer
 * @returns the output's value, then the siblings' in order
 */
export function executeWithSiblings(
  step: Step,
  inputs: readonly Value[],
  output: Output,
  blocks: number[],
  returned: readonly boolean[],
  reuse?: { buffer?: DataArray },
): Value[] {
  const siblings = step.kernel.siblings!;
  const args = [...inputs];
  const h = step.wasm === undefined ? undefined : heap();
  const bytes = 4 * step.size;
  // (allocated before the launch, which takes views of the inputs: growing memory detaches them)
  const ptrs = h === undefined ? [] : siblings.map(() => h.alloc(bytes));
  const wasm = h !== undefined && ptrs.every((p) => p !== undefined);
  if (!wasm) { for (const p of ptrs) if (p !== undefined) h!.free(p); }
  const arrays = wasm ? [] : siblings.map(() => allocate(step.kernel.dtype, step.size));
  siblings.forEach((s, j) => {
    args[s.input] = wasm ? { ptr: ptrs[j]! } : { array: arrays[j] };
  });
  let main: Value;
  try {
    // (a failed Wasm launch runs the JS form, which writes the siblings' blocks through views)
    main = execute(step, args, output, blocks, reuse);
  } catch (e) {
    if (wasm) { for (const p of ptrs) h!.free(p!); }
    throw e;
  }
  if (!wasm) return [main, ...arrays.map((array) => ({ array }))];
  return [
    main,
    ...ptrs.map((ptr, j): Value => {
      if (!returned[j]) {
        blocks.push(ptr!);
        return { ptr };
      }
      const array = h!.copyOut("float32", ptr!, step.size);
      h!.adopt(array, ptr!);
      return { array };
    }),
  ];
}
