/**
 * Neural-network building blocks over parameter trees: layers as
 * `(init, apply)` pairs, PyTorch-compatible initialisation, losses, batching
 * and datasets. Optimizers live in `@lathe/lathe/optim`.
 *
 * @example A small classifier's forward pass and loss
 * ```ts
 * import { random, tensor } from "@lathe/lathe";
 * import { crossEntropy, linear, paramCount, relu, sequential } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 *
 * const model = sequential(linear(4, 8), relu, linear(8, 3));
 * const params = model.init(random.key(0));
 * assertEquals(paramCount(params), 4 * 8 + 8 + 8 * 3 + 3);
 * const logits = model.apply(params, tensor([[0.1, 0.2, 0.3, 0.4]]));
 * const loss = crossEntropy(logits, tensor([2], { dtype: "int32" }));
 * assertEquals(loss.shape, []);
 * ```
 * @module
 */
export * from "./layers.ts";
export * from "./conv_layers.ts";
export * from "./norm_layers.ts";
export * from "./init.ts";
export * from "./losses.ts";
export * from "./data.ts";
export * from "./datasets.ts";
export * from "./onnx/import.ts";
export { oneHot } from "../mod.ts";
export type { Key } from "../mod.ts";
export * from "./attention.ts";
export * from "./recurrent.ts";
export * from "./recurrent_layers.ts";
