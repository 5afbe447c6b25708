// Test helper: runs a module in a fresh worker (its own runtime state, e.g.
// no WebGPU device yet) and resolves with the first message it posts.

/** Runs `url` (a `./x.ts` beside the tests) in a worker; resolves with its first message. */
export function workerResult(url: URL): Promise<Record<string, unknown>> {
  const worker = new Worker(url.href, { type: "module" });
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
  }).finally(() => worker.terminate());
}
