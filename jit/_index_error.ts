/**
 * The error a kernel raises for an out-of-range gathered index. It carries
 * the id of the gather (or scatter) node whose index it was, passed to the
 * kernel as a runtime constant (so kernels of one structure share their
 * code), which `gatherError` turns into the user's op and line.
 * @module
 */

/** An out-of-range index found by a kernel, with the id of the node that indexed (`site`). */
export class IndexRangeError extends RangeError {
  /**
   * @param index the bad index
   * @param extent the size of the indexed axis
   * @param site the id of the gather or scatter node (-1: unknown)
   */
  constructor(readonly index: number, readonly extent: number, readonly site: number) {
    super(
      `Index ${index} is out of range for an axis of size ${extent}: indices must be in [${-extent}, ${
        extent - 1
      }]`,
    );
  }
}
