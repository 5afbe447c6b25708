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
