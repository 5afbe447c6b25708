/**
 * Unknown-option checks for the io functions' options bags.
 * @module
 */

/**
 * Throws a `TypeError` when `options` has a key that `op` does not take.
 * @param op the function, for the message
 * @param options what the user passed
 * @param known the option names `op` takes
 */
export function checkOptions(op: string, options: object, known: readonly string[]): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${op}() expected an options object: found ${options}`);
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      throw new TypeError(
        `${op}() got an unknown option "${k}": expected one of ${known.join(", ")}`,
      );
    }
  }
}
