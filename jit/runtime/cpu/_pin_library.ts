/**
 * Keeps a library opened through Deno's FFI loaded for the life of the process.
 *
 * `deno test` runs each test file in a runtime of its own and closes that runtime's FFI handles
 * at its end, so the system BLAS is unloaded and loaded again between files. In a process that
 * also has a Vulkan driver loaded (WebGPU through Mesa lavapipe), that unload corrupts the C heap,
 * and glibc aborts at exit once every test has passed ("double free or corruption (fasttop)",
 * "malloc_consolidate(): invalid chunk size", or a segfault). Three test files that each run one
 * sgemm and one WebGPU op aborted 3 times in 80 runs without Lathe (plain `Deno.dlopen` and
 * `navigator.gpu`), 4 in 160 through Lathe, and 0 in 220 with the library preloaded
 * (`LD_PRELOAD`, which keeps it loaded). Opening it once more through glibc's own `dlopen` with
 * `RTLD_NODELETE` does what the preload does: the library stays mapped after every handle closes.
 * Linux (glibc) only; elsewhere, or where that fails, nothing changes.
 * @module
 */

const RTLD_NOW = 2;
const RTLD_NODELETE = 0x1000;

/** The structural slice of `Deno` this module uses. */
interface DenoPin {
  build?: { os: string };
  dlopen?(
    path: string,
    symbols: Record<string, { parameters: string[]; result: string }>,
  ): { symbols: Record<string, (...args: unknown[]) => unknown>; close(): void };
}

/**
 * Opens `path` once more with `RTLD_NODELETE`, so that it is never unloaded.
 * @param path the library, as it was opened (a name the dynamic loader finds, or a path)
 * @returns whether it is pinned (false off Linux, without FFI, or where glibc refused)
 */
export function pinLibrary(path: string): boolean {
  const deno = (globalThis as { Deno?: DenoPin }).Deno;
  if (deno?.build?.os !== "linux" || typeof deno.dlopen !== "function") return false;
  try {
    const libc = deno.dlopen("libc.so.6", {
      dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
    });
    try {
      const name = new TextEncoder().encode(`${path}\0`);
      return libc.symbols.dlopen(name, RTLD_NOW | RTLD_NODELETE) !== null;
    } finally {
      libc.close();
    }
  } catch {
    return false;
  }
}
