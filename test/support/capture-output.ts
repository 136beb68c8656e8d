import { vi } from 'vitest';

/** Lines written to stdout and stderr while capturing (Powertools' own Console writes there). */
export interface CapturedOutput {
  readonly lines: string[];
  /** Lines that are JSON, parsed. */
  json(): Record<string, unknown>[];
  stop(): void;
}

export function captureOutput(): CapturedOutput {
  const lines: string[] = [];
  const grab = (chunk: unknown) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    lines.push(...text.split('\n').filter((l) => l.trim() !== ''));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(grab);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(grab);
  return {
    lines,
    json: () =>
      lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    stop: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}
