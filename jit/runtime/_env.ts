/**
 * Reads the environment variables that tune the CPU backend (`LATHE_CPU`,
 * `LATHE_THREADS`, `LATHE_BLAS`): in Deno only where env access is already granted (no
 * prompt), in Node and Bun from `process.env`, nowhere in browsers.
 * @module
 */

/**
 * The value of an environment variable, if readable without a prompt.
 * @param name the variable
 * @returns its value, or undefined when unset or not readable
 */
export function envVar(name: string): string | undefined {
  try {
    // structural, so the npm build's declarations need no Deno types
    const deno = (globalThis as {
      Deno?: {
        permissions: { querySync(d: { name: "env"; variable: string }): { state: string } };
        env: { get(key: string): string | undefined };
      };
    }).Deno;
    if (deno === undefined) {
      return (globalThis as { process?: { env?: Record<string, string> } }).process?.env?.[name];
    }
    const granted = deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
    return granted ? deno.env.get(name) : undefined;
  } catch {
    return undefined;
  }
}

interface DenoForXdg {
  build: { os: string };
  permissions: {
    querySync(d: { name: string; variable?: string; path?: string }): { state: string };
  };
  env: { get(key: string): string | undefined; set(key: string, value: string): void };
  makeTempDirSync(options: { prefix: string }): string;
  removeSync(path: string): void;
}

/**
 * NOTE: on Linux, Mesa's Vulkan drivers (lavapipe included) print "error:
 * XDG_RUNTIME_DIR is invalid or not set in the environment." twice when a
 * WebGPU adapter is first requested on a machine without that variable
 * (headless servers, containers, CI): the Wayland client library needs an
 * absolute path there. In Deno, before the first adapter request, an unset
 * variable (where env access is already granted: no prompt) is pointed at a
 * fresh private temporary folder (removed at exit) when writing there is
 * granted, else at `/dev/null/lathe-no-runtime-dir`, a path that can never
 * exist (`/dev/null` is not a folder), so nothing can be listening there.
 * Elsewhere (Node, Bun, browsers) nothing changes.
 */
export function quietXdgRuntimeDir(): void {
  try {
    const deno = (globalThis as { Deno?: DenoForXdg }).Deno;
    if (deno === undefined || deno.build.os !== "linux") return;
    const granted = (d: { name: string; variable?: string; path?: string }) =>
      deno.permissions.querySync(d).state === "granted";
    if (!granted({ name: "env", variable: "XDG_RUNTIME_DIR" })) return;
    if (deno.env.get("XDG_RUNTIME_DIR") !== undefined) return;
    const tmp = granted({ name: "env", variable: "TMPDIR" }) ? deno.env.get("TMPDIR") : undefined;
    if (!granted({ name: "write", path: tmp ?? "/tmp" })) {
      deno.env.set("XDG_RUNTIME_DIR", "/dev/null/lathe-no-runtime-dir");
      return;
    }
    const dir = deno.makeTempDirSync({ prefix: "lathe-xdg-" });
    deno.env.set("XDG_RUNTIME_DIR", dir);
    globalThis.addEventListener?.("unload", () => {
      try {
        deno.removeSync(dir);
      } catch {
        // already gone
      }
    });
  } catch {
    // permissions API missing or denied: keep the environment as it is
  }
}

/**
 * Asks OpenBLAS for its Haswell (AVX2) kernels before the library loads, unless a core type was
 * chosen (`OPENBLAS_CORETYPE`): in Deno on x86-64, where env access is granted, only.
 * NOTE: Debian 12's OpenBLAS (0.3.21) detects a Zen 5 CPU wrongly; with the kernels it then picks,
 * its LAPACK routines crashed the process (a segfault in about one run of six of
 * tests/lapack_test.ts). Haswell kernels run on every x86-64 CPU with AVX2, and are what this
 * workplace's environment sets.
 */
export function pinOpenBlasCore(): void {
  try {
    const deno = (globalThis as { Deno?: DenoForXdg & { build: { arch: string } } }).Deno;
    if (deno === undefined || deno.build.arch !== "x86_64") return;
    const state = deno.permissions.querySync({ name: "env", variable: "OPENBLAS_CORETYPE" }).state;
    if (state !== "granted" || deno.env.get("OPENBLAS_CORETYPE") !== undefined) return;
    deno.env.set("OPENBLAS_CORETYPE", "Haswell");
  } catch {
    // no env access: OpenBLAS picks its kernels itself
  }
}
