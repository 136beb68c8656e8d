/**
 * Prints the login QR (the PNG ptqrshow returns) in a terminal. The PNG is read back into its
 * module grid, so whatever the server encoded is what gets printed.
 */
import { PNG } from 'pngjs';

/** The QR's modules, `true` = dark, read from a QR code PNG. */
export function qrModulesFromPng(png: Buffer): boolean[][] {
  const image = PNG.sync.read(png);
  const dark = (x: number, y: number): boolean => {
    const i = (y * image.width + x) * 4;
    const [r, g, b, a] = [
      image.data[i] ?? 0,
      image.data[i + 1] ?? 0,
      image.data[i + 2] ?? 0,
      image.data[i + 3],
    ];
    return (a ?? 255) > 127 && r + g + b < 384;
  };
  let top = -1;
  let left = image.width;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (!dark(x, y)) continue;
      if (top < 0) top = y;
      bottom = y;
      left = Math.min(left, x);
      right = Math.max(right, x);
    }
  }
  if (top < 0) throw new Error('QR image has no dark pixels');
  // The top-left finder pattern's first row is 7 dark modules wide.
  let run = 0;
  while (left + run <= right && dark(left + run, top)) run++;
  const moduleSize = run / 7;
  const count = Math.round((right - left + 1) / moduleSize);
  const grid: boolean[][] = [];
  for (let row = 0; row < count; row++) {
    const line: boolean[] = [];
    for (let col = 0; col < count; col++) {
      const x = Math.min(right, Math.floor(left + (col + 0.5) * moduleSize));
      const y = Math.min(bottom, Math.floor(top + (row + 0.5) * moduleSize));
      line.push(dark(x, y));
    }
    grid.push(line);
  }
  return grid;
}

/**
 * Two module rows per text line with `▀`, foreground = upper module, background = lower module,
 * in explicit black and white so it scans on dark and light terminal themes alike.
 */
export function renderQrForTerminal(png: Buffer): string {
  const QUIET = 2;
  const modules = qrModulesFromPng(png);
  const size = modules.length + QUIET * 2;
  const at = (row: number, col: number): boolean => modules[row - QUIET]?.[col - QUIET] ?? false;
  const lines: string[] = [];
  for (let row = 0; row < size; row += 2) {
    let line = '';
    for (let col = 0; col < size; col++) {
      const fg = at(row, col) ? 30 : 97;
      const bg = at(row + 1, col) ? 40 : 107;
      line += `\u001b[${fg};${bg}m▀`;
    }
    lines.push(`${line}\u001b[0m`);
  }
  return lines.join('\n');
}
