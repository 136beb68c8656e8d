/**
 * The answer of `ptqrlogin` (docs/protocol.md §2, step 2) is JavaScript, not JSON:
 * `ptuiCB('<code>','0','<url>','0','<message>', '<nick>');` — spacing after the commas varies,
 * the body is UTF-8 and may end in `;\r\n`.
 */

export type PtuiCb = {
  /** 66 waiting for a scan, 67 scanned, 65 expired, 0 logged in. */
  code: number;
  /** The `check_sig` URL on success, else empty. */
  url: string;
  message: string;
  nick: string;
  /** Every argument, unquoted, in order. */
  args: string[];
};

const EXCERPT_CHARS = 40;

export class PtuiCbError extends Error {
  override readonly name = 'PtuiCbError';
  constructor(
    readonly reason: string,
    body: string,
  ) {
    super(`${reason}: ${JSON.stringify(excerpt(body))}`);
  }
}

// The whole call; the argument list is taken apart by `parseArgs`.
const CALL = /^ptuiCB\s*\(([\s\S]*)\)\s*;?\s*$/;

export function parsePtuiCb(body: string): PtuiCb {
  const match = CALL.exec(body.replace(/^\uFEFF/, '').trim());
  if (!match) throw new PtuiCbError('not a ptuiCB call', body);
  const args = parseArgs(match[1] ?? '', body);
  const first = args[0];
  if (first === undefined || !/^-?\d+$/.test(first.trim())) {
    throw new PtuiCbError('ptuiCB call without a numeric code', body);
  }
  return {
    code: Number(first.trim()),
    url: args[2] ?? '',
    message: args[4] ?? '',
    nick: args[5] ?? '',
    args,
  };
}

/** A comma-separated list of quoted JavaScript strings ('…' or "…", with backslash escapes). */
function parseArgs(list: string, body: string): string[] {
  const args: string[] = [];
  let i = skipSpace(list, 0);
  if (i === list.length) return args;
  for (;;) {
    const quote = list[i];
    if (quote !== "'" && quote !== '"') throw new PtuiCbError('ptuiCB argument is not a quoted string', body);
    let value = '';
    i++;
    for (;;) {
      const ch = list[i];
      if (ch === undefined) throw new PtuiCbError('unterminated string in ptuiCB call', body);
      i++;
      if (ch === quote) break;
      if (ch === '\\') {
        const [decoded, next] = unescapeJs(list, i, body);
        value += decoded;
        i = next;
      } else {
        value += ch;
      }
    }
    args.push(value);
    i = skipSpace(list, i);
    if (i === list.length) return args;
    if (list[i] !== ',') throw new PtuiCbError('expected a comma between ptuiCB arguments', body);
    i = skipSpace(list, i + 1);
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

/** One escape after a backslash at `i`; JavaScript string-literal rules, an unknown escape is the character itself. */
function unescapeJs(s: string, i: number, body: string): [string, number] {
  const ch = s[i];
  if (ch === undefined) throw new PtuiCbError('unterminated string in ptuiCB call', body);
  const hexLength = ch === 'x' ? 2 : ch === 'u' ? 4 : 0;
  if (hexLength > 0) {
    const hex = s.slice(i + 1, i + 1 + hexLength);
    if (hex.length !== hexLength || !/^[0-9a-fA-F]+$/.test(hex)) {
      throw new PtuiCbError('bad escape in ptuiCB call', body);
    }
    return [String.fromCharCode(Number.parseInt(hex, 16)), i + 1 + hexLength];
  }
  return [SIMPLE_ESCAPES[ch] ?? ch, i + 1];
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && /\s/.test(s[i] as string)) i++;
  return i;
}

function excerpt(body: string): string {
  return body.length > EXCERPT_CHARS ? `${body.slice(0, EXCERPT_CHARS)}…` : body;
}
