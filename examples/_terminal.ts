// Terminal helpers for the examples: a progress bar that degrades to plain
// lines when stdout is not a TTY, a loss plot (text and SVG) and digits drawn
// with shading characters.

// Deno's stdout when running under Deno; elsewhere (bun test imports the char
// transformer example) there is no Deno global and progress prints plain lines.
const stdout = (globalThis as { Deno?: typeof Deno }).Deno?.stdout;
const isTty = stdout?.isTerminal() ?? false;
const encoder = new TextEncoder();

/** A one-line progress display: redrawn in place on a TTY, printed every `every` steps otherwise. */
export class Progress {
  #start = performance.now();
  #lastLine = 0;
  constructor(readonly total: number, readonly every = 50) {}

  update(done: number, fields: Record<string, string>): void {
    const elapsed = (performance.now() - this.#start) / 1000;
    const rate = done / Math.max(elapsed, 1e-9);
    const eta = (this.total - done) / Math.max(rate, 1e-9);
    const stats = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join("  ");
    const tail = `${stats}  ${rate.toFixed(0)} steps/s  ETA ${eta.toFixed(1)}s`;
    if (isTty) {
      const width = 24;
      const filled = Math.round((done / this.total) * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      stdout?.writeSync(encoder.encode(`\r\x1b[2K${bar} ${done}/${this.total}  ${tail}`));
    } else if (done - this.#lastLine >= this.every || done === this.total) {
      this.#lastLine = done;
      console.log(`step ${done}/${this.total}  ${tail}`);
    }
  }

  finish(): number {
    if (isTty) stdout?.writeSync(encoder.encode("\n"));
    return (performance.now() - this.#start) / 1000;
  }
}

/** A text plot of a series (rows high, columns wide). */
export function plotText(values: readonly number[], rows = 10, columns = 60): string {
  const step = Math.max(1, Math.ceil(values.length / columns));
  const points: number[] = [];
  for (let i = 0; i < values.length; i += step) {
    const chunk = values.slice(i, i + step);
    points.push(chunk.reduce((a, b) => a + b, 0) / chunk.length);
  }
  const hi = Math.max(...points);
  const lo = Math.min(...points);
  const grid = Array.from({ length: rows }, () => Array(points.length).fill(" "));
  points.forEach((v, x) => {
    const y = rows - 1 - Math.round(((v - lo) / (hi - lo || 1)) * (rows - 1));
    grid[y][x] = "•";
  });
  return grid.map((r, i) => {
    const label = i === 0 ? hi.toFixed(3) : i === rows - 1 ? lo.toFixed(3) : "";
    return `${label.padStart(7)} │${r.join("")}`;
  }).join("\n") + `\n${" ".repeat(8)}└${"─".repeat(points.length)}`;
}

/** An SVG line chart of a series. */
export function plotSvg(values: readonly number[], title: string): string {
  const [w, h, pad] = [640, 320, 40];
  const hi = Math.max(...values);
  const lo = Math.min(...values);
  const x = (i: number) => pad + (i / Math.max(values.length - 1, 1)) * (w - 2 * pad);
  const y = (v: number) => h - pad - ((v - lo) / (hi - lo || 1)) * (h - 2 * pad);
  const path = values.map((v, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(v).toFixed(1)}`)
    .join(" ");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#444"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#444"/>
<text x="${pad - 4}" y="${y(hi) + 4}" text-anchor="end">${hi.toFixed(2)}</text>
<text x="${pad - 4}" y="${y(lo) + 4}" text-anchor="end">${lo.toFixed(2)}</text>
<text x="${w - pad}" y="${h - pad + 16}" text-anchor="end">step ${values.length}</text>
<path d="${path}" fill="none" stroke="#d6336c" stroke-width="1.5"/>
</svg>
`;
}

/** A 28×28 digit as 14 lines of shading characters (two pixel rows per line). */
export function drawDigit(pixels: ArrayLike<number>): string[] {
  const shades = " .:-=+*#%@";
  const lines: string[] = [];
  for (let r = 0; r < 28; r += 2) {
    let line = "";
    for (let c = 0; c < 28; c++) {
      const v = Math.max(pixels[r * 28 + c], pixels[(r + 1) * 28 + c]);
      line += shades[Math.min(shades.length - 1, Math.floor(v * shades.length))];
    }
    lines.push(line);
  }
  return lines;
}
