import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { qrModulesFromPng, renderQrForTerminal } from '../../../lib/smartqq/qr-terminal.ts';

describe('QR in the terminal', () => {
  for (const [text, scale, margin] of [
    ['https://w.qq.com/login?k=abc', 5, 4],
    ['a much longer login url with more data in it to get a bigger version 0123456789', 3, 1],
  ] as const) {
    it(`reads back the exact module grid of a PNG (scale ${scale}, margin ${margin})`, async () => {
      const png = await QRCode.toBuffer(text, { scale, margin });
      const expected = QRCode.create(text, {}).modules;
      const grid = qrModulesFromPng(png);
      expect(grid.length).toBe(expected.size);
      for (let row = 0; row < expected.size; row++) {
        for (let col = 0; col < expected.size; col++) {
          expect(grid[row]?.[col], `module ${row},${col}`).toBe(Boolean(expected.get(row, col)));
        }
      }
    });
  }

  it('prints two module rows per line with a quiet zone', async () => {
    const png = await QRCode.toBuffer('x', { scale: 4 });
    const size = QRCode.create('x', {}).modules.size + 4;
    const lines = renderQrForTerminal(png).split('\n');
    expect(lines.length).toBe(Math.ceil(size / 2));
    expect(lines[0]?.match(/▀/g)?.length).toBe(size);
  });

  it('refuses an image with no QR in it', async () => {
    const { PNG } = await import('pngjs');
    const blank = new PNG({ width: 4, height: 4 });
    blank.data.fill(255);
    expect(() => qrModulesFromPng(PNG.sync.write(blank))).toThrow(/no dark pixels/);
  });
});
