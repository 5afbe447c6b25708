/**
 * A library pinned with `pinLibrary` stays loaded after Deno's handles on it close. The BLAS is
 * pinned so that `deno test`'s per-file runtimes never unload it (jit/runtime/cpu/_pin_library.ts).
 */
import { assert, assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { pinLibrary } from "../jit/runtime/cpu/_pin_library.ts";

interface DenoSlice {
  build: { os: string };
  permissions: { querySync(d: { name: string }): { state: string } };
  dlopen(
    path: string,
    symbols: Record<string, { parameters: string[]; result: string }>,
  ): { close(): void };
}
// Deno only (bun test skips this file's suite): Deno's FFI closes what it opened
const deno = (globalThis as { Deno?: DenoSlice }).Deno;

const RTLD_LAZY = 1;
const RTLD_NOLOAD = 4;

/** Whether `path` is loaded in this process (glibc's dlopen with RTLD_NOLOAD loads nothing). */
function loaded(path: string): boolean {
  const libc = deno!.dlopen("libc.so.6", {
    dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
    dlclose: { parameters: ["pointer"], result: "i32" },
  }) as unknown as {
    symbols: { dlopen(n: Uint8Array, f: number): unknown; dlclose(h: unknown): number };
    close(): void;
  };
  try {
    const h = libc.symbols.dlopen(new TextEncoder().encode(`${path}\0`), RTLD_LAZY | RTLD_NOLOAD);
    if (h === null) return false;
    libc.symbols.dlclose(h);
    return true;
  } finally {
    libc.close();
  }
}

/** Opens and closes a library through Deno's FFI; false where it is missing. */
function openAndClose(path: string, symbol: string): boolean {
  try {
    deno!.dlopen(path, { [symbol]: { parameters: [], result: "pointer" } }).close();
    return true;
  } catch {
    return false;
  }
}

const usable = deno !== undefined && deno.build.os === "linux" &&
  deno.permissions.querySync({ name: "ffi" }).state === "granted" &&
  openAndClose("libbz2.so.1.0", "BZ2_bzlibVersion") &&
  openAndClose("libz.so.1", "zlibVersion");

(usable ? describe : describe.skip)("pinLibrary", () => {
  it("keeps a library mapped after Deno's handle closes; an unpinned one is unloaded", () => {
    // the control: Deno's close unloads a library nothing else holds
    openAndClose("libbz2.so.1.0", "BZ2_bzlibVersion");
    assertEquals(loaded("libbz2.so.1.0"), false, "an unpinned library is unloaded at close");
    assert(pinLibrary("libz.so.1"), "glibc's dlopen with RTLD_NODELETE");
    openAndClose("libz.so.1", "zlibVersion");
    assert(loaded("libz.so.1"), "the pinned library is still mapped");
  });
});
