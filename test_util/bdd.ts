/**
 * Local stand-in for JSR's `@std/testing/bdd`, built on `node:test`.
 *
 * Tests import `from "@std/testing/bdd"`; `deno.json` maps that specifier here
 * (and `tsconfig.json` does the same for Bun/tsc), so switching to
 * `jsr:@std/testing@^1/bdd` later needs no change in any test. `deno test`
 * runs `node:test` suites natively in Deno 2 (each top-level `describe`/`it`
 * becomes a `Deno.test`, nested ones become steps).
 *
 * Supported call forms (the std ones tests use):
 * - `describe(name, fn)`, `describe(name, options, fn)`, `describe({ name, fn, ...options })`
 * - `it(name, fn)`, `it(name, options, fn)`, `it({ name, fn, ...options })`
 * - `it.skip` / `it.ignore` / `it.only`, `describe.skip` / `describe.ignore` / `describe.only`
 * - `beforeAll`, `afterAll`, `beforeEach`, `afterEach` (inside a `describe`, or
 *   at the top level of a file).
 *
 * Options: `ignore` (std) and `skip` (node) both skip; `only`; `timeout` (ms,
 * node; none by default, as in std, where Bun's `node:test` would give 5 s).
 * Deno-only options (`permissions`, `sanitizeOps`, `sanitizeResources`,
 * `sanitizeExit`) are accepted and ignored.
 *
 * `.only` (or `{ only: true }`) is for local focus only: as with `Deno.test`'s
 * `only`, a run that uses it fails. Under Deno's `node:test`, a top-level
 * `.only` filters out the file's other top-level tests, but a nested one does
 * not filter its siblings, and the run would otherwise exit 0, so this shim
 * registers an always-failing test next to every `.only` it sees.
 *
 * @module
 */

import * as nodeTest from "node:test";

/** A test or hook body. May be async. Receives node:test's context, if wanted. */
// deno-lint-ignore no-explicit-any
export type TestFn = (t: any) => void | Promise<void>;
/** A `describe` body; registers tests and hooks synchronously. */
export type SuiteFn = () => void;

/** Options shared by `describe` and `it` (std `@std/testing/bdd` + node:test). */
export interface TestOptions {
  /** Skip this test/suite (std name). */
  ignore?: boolean;
  /** Skip this test/suite (node name); a string is the reason. */
  skip?: boolean | string;
  /** Focus this test/suite; the run then fails (see the module doc). */
  only?: boolean;
  /** Per-test timeout in milliseconds (node:test). */
  timeout?: number;
  /** Accepted for std compatibility; ignored. */
  permissions?: unknown;
  /** Accepted for std compatibility; ignored. */
  sanitizeOps?: boolean;
  /** Accepted for std compatibility; ignored. */
  sanitizeResources?: boolean;
  /** Accepted for std compatibility; ignored. */
  sanitizeExit?: boolean;
}

/** Object form of `it({ name, fn, ...options })`. */
export interface ItDefinition extends TestOptions {
  /** Test name. */
  name: string;
  /** Test body. */
  fn: TestFn;
}

/** Object form of `describe({ name, fn, ...options })`. */
export interface DescribeDefinition extends TestOptions {
  /** Suite name. */
  name: string;
  /** Suite body. */
  fn: SuiteFn;
}

type NodeOpts = { skip?: boolean | string; only?: boolean; timeout?: number };

function toNodeOptions(o: TestOptions | undefined, extra: NodeOpts = {}): NodeOpts {
  const out: NodeOpts = {};
  if (o?.ignore) out.skip = true;
  if (o?.skip) out.skip = o.skip;
  if (o?.only) out.only = true;
  if (o?.timeout !== undefined) out.timeout = o.timeout;
  return { ...out, ...extra };
}

function normalize<F>(
  kind: string,
  a: string | (TestOptions & { name: string; fn: F }),
  b?: TestOptions | F,
  c?: F,
): { name: string; options: TestOptions | undefined; fn: F } {
  if (typeof a === "object" && a !== null) {
    if (typeof a.fn !== "function") throw new TypeError(`${kind}: definition needs an fn`);
    return { name: a.name, options: a, fn: a.fn };
  }
  if (typeof b === "function") return { name: a, options: undefined, fn: b as F };
  if (typeof c === "function") return { name: a, options: b as TestOptions, fn: c };
  throw new TypeError(`${kind}("${a}"): missing function argument`);
}

/** Wraps so node:test never sees `fn.length >= 2` (its done-callback mode). */
function wrapTest(fn: TestFn): (t: unknown) => void | Promise<void> {
  return (t: unknown) => fn(t);
}

/** Signature of {@linkcode it} and its variants. */
export interface ItFunction {
  /** Registers a test. */
  (name: string, fn: TestFn): void;
  /** Registers a test with options. */
  (name: string, options: TestOptions, fn: TestFn): void;
  /** Registers a test from a definition object. */
  (definition: ItDefinition): void;
}

/** Signature of {@linkcode describe} and its variants. */
export interface DescribeFunction {
  /** Registers a suite. */
  (name: string, fn: SuiteFn): void;
  /** Registers a suite with options. */
  (name: string, options: TestOptions, fn: SuiteFn): void;
  /** Registers a suite from a definition object. */
  (definition: DescribeDefinition): void;
}

/** Makes a run that uses `.only` fail, as `Deno.test`'s `only` does. */
function guardOnly(kind: string, name: string, opts: NodeOpts): void {
  if (!opts.only) return;
  void nodeTest.it(`${kind}.only("${name}") is used`, { only: true }, () => {
    throw new Error(
      `${kind}.only("${name}") was used: it is for local focus only; remove it before committing`,
    );
  });
}

// No time limit unless a test gives one, as in std's bdd and Deno.test: Bun's
// node:test stops a test after 5 s by default, which the slower tests pass on
// a loaded machine. The largest timer delay (about 24.8 days), since Deno's
// node:test turns a timeout of Infinity into 1 ms.
const NO_TIME_LIMIT = 2 ** 31 - 1;

function makeIt(extra: NodeOpts): ItFunction {
  return ((a: string | ItDefinition, b?: TestOptions | TestFn, c?: TestFn): void => {
    const { name, options, fn } = normalize<TestFn>("it", a, b, c);
    const opts = { timeout: NO_TIME_LIMIT, ...toNodeOptions(options, extra) };
    guardOnly("it", name, opts);
    void nodeTest.it(name, opts, wrapTest(fn));
  }) as ItFunction;
}

function makeDescribe(extra: NodeOpts): DescribeFunction {
  return ((a: string | DescribeDefinition, b?: TestOptions | SuiteFn, c?: SuiteFn): void => {
    const { name, options, fn } = normalize<SuiteFn>("describe", a, b, c);
    const opts = toNodeOptions(options, extra);
    guardOnly("describe", name, opts);
    void nodeTest.describe(name, opts, () => fn());
  }) as DescribeFunction;
}

/**
 * Registers a test case (std `it`). Inside a `describe` it becomes a step of
 * that suite; at the top level it is a test of its own.
 *
 * @example Usage
 * ```ts
 * import { describe, it } from "@std/testing/bdd";
 * import { assertEquals } from "@std/assert";
 * describe("add", () => {
 *   it("adds", () => assertEquals(1 + 1, 2));
 *   it("skipped", { ignore: true }, () => {});
 * });
 * ```
 */
export const it: ItFunction & {
  /** Registers a test that is skipped. */
  skip: ItFunction;
  /** Registers a test that is skipped (std name). */
  ignore: ItFunction;
  /** Registers a focused test; the run then fails (see the module doc). */
  only: ItFunction;
} = Object.assign(makeIt({}), {
  skip: makeIt({ skip: true }),
  ignore: makeIt({ skip: true }),
  only: makeIt({ only: true }),
});

/** Alias of {@linkcode it} (std exports both). */
export const test: typeof it = it;

/**
 * Registers a test suite (std `describe`). The body runs synchronously to
 * register tests and hooks.
 *
 * @example Usage
 * ```ts
 * import { beforeEach, describe, it } from "@std/testing/bdd";
 * describe("tensor", () => {
 *   let n = 0;
 *   beforeEach(() => { n = 1; });
 *   it("sees the hook", () => { if (n !== 1) throw new Error(); });
 * });
 * ```
 */
export const describe: DescribeFunction & {
  /** Registers a suite that is skipped. */
  skip: DescribeFunction;
  /** Registers a suite that is skipped (std name). */
  ignore: DescribeFunction;
  /** Registers a focused suite; the run then fails (see the module doc). */
  only: DescribeFunction;
} = Object.assign(makeDescribe({}), {
  skip: makeDescribe({ skip: true }),
  ignore: makeDescribe({ skip: true }),
  only: makeDescribe({ only: true }),
});

/** A hook body. May be async. */
export type HookFn = () => void | Promise<void>;

/**
 * Runs `fn` once before all tests of the enclosing suite (node `before`).
 *
 * @example Usage
 * ```ts
 * import { beforeAll, describe, it } from "@std/testing/bdd";
 * describe("s", () => {
 *   let ready = false;
 *   beforeAll(() => { ready = true; });
 *   it("t", () => { if (!ready) throw new Error(); });
 * });
 * ```
 *
 * @param fn The hook body.
 */
export function beforeAll(fn: HookFn): void {
  nodeTest.before(() => fn());
}

/**
 * Runs `fn` once after all tests of the enclosing suite (node `after`).
 *
 * @example Usage
 * ```ts
 * import { afterAll, describe, it } from "@std/testing/bdd";
 * describe("s", () => {
 *   afterAll(() => {});
 *   it("t", () => {});
 * });
 * ```
 *
 * @param fn The hook body.
 */
export function afterAll(fn: HookFn): void {
  nodeTest.after(() => fn());
}

/**
 * Runs `fn` before each test of the enclosing suite, including nested suites.
 *
 * @example Usage
 * ```ts
 * import { beforeEach, describe, it } from "@std/testing/bdd";
 * describe("s", () => {
 *   beforeEach(() => {});
 *   it("t", () => {});
 * });
 * ```
 *
 * @param fn The hook body.
 */
export function beforeEach(fn: HookFn): void {
  nodeTest.beforeEach(() => fn());
}

/**
 * Runs `fn` after each test of the enclosing suite, including nested suites.
 *
 * @example Usage
 * ```ts
 * import { afterEach, describe, it } from "@std/testing/bdd";
 * describe("s", () => {
 *   afterEach(() => {});
 *   it("t", () => {});
 * });
 * ```
 *
 * @param fn The hook body.
 */
export function afterEach(fn: HookFn): void {
  nodeTest.afterEach(() => fn());
}
