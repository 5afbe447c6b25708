// What the examples share to run on any device: the device named by
// `--device webgpu` on the command line (cpu by default; webgpu falls back to
// the cpu with a warning when there is no adapter, like PyTorch's
// "cuda if available else cpu"), and a logger that reads GPU tensors first.
import * as lt from "../mod.ts";

/** A `log` that may be handed tensors on any device. */
export type Print = (...args: lt.Tree[]) => Promise<void>;

/**
 * The device named on the command line: `--device webgpu` or `--device=webgpu`.
 * @param args the command-line arguments (Deno's, else Node's and Bun's)
 * @returns the opened device (`cpu` when none is named or the GPU is unavailable)
 */
export async function deviceFromArgs(args: readonly string[] = commandLine()): Promise<lt.Device> {
  const at = args.findIndex((a) => a === "--device" || a.startsWith("--device="));
  if (at < 0) return "cpu";
  const name = args[at].startsWith("--device=") ? args[at].slice(9) : args[at + 1];
  return await lt.device(name as lt.Device);
}

function commandLine(): readonly string[] {
  const g = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
  return g.Deno?.args ?? g.process?.argv.slice(2) ?? [];
}

/**
 * Wraps a `console.log`-like function so that it first reads every tensor of
 * its arguments to the cpu (one `await`), so it prints the same on every device.
 * @param log where the text goes
 * @returns the async logger
 */
export function printer(log: (...args: unknown[]) => void): Print {
  return async (...args) => log(...await lt.toCpu(args));
}

/**
 * Copies every tensor of a tree to a device.
 * @param tree parameters, data, …
 * @param dev the device
 * @returns the same structure on `dev`
 */
export function onDevice<T extends lt.Tree>(tree: T, dev: lt.Device): T {
  return lt.tree.map((t) => t.to(dev), tree) as T;
}
