/**
 * A literal that every match of a regex must contain, so regex rules can sit in the same literal
 * index as keyword rules and only run when their literal is in the message (the idea of RE2's
 * FilteredRE2, in a deliberately small form).
 *
 * The result is compared against the lower-cased message, so it must be a *necessary* condition
 * there: when in doubt (alternation, inline flags, characters whose case mapping depends on
 * context or folds oddly), there is no literal and the regex simply always runs.
 */

const SPECIAL = new Set([...'\\^$.|?*+()[]{}']);
/** RE2 case folding maps these to non-ASCII letters (ſ, K): a lower-cased text would miss them. */
const ODD_FOLDS = new Set([...'sSkK']);
const MIN_LITERAL = 2;

type Atom = { readonly char: string } | 'break';

/** The longest required literal (lower-cased), or undefined when none can be vouched for. */
export function requiredLiteral(pattern: string, caseSensitive: boolean): string | undefined {
  const atoms = atomsOf(pattern, caseSensitive);
  if (!atoms) return undefined;
  let best = '';
  let run = '';
  for (const atom of [...atoms, 'break' as const]) {
    if (atom === 'break') {
      if (run.length > best.length) best = run;
      run = '';
    } else {
      run += atom.char;
    }
  }
  return best.length >= MIN_LITERAL ? best.toLowerCase() : undefined;
}

/** Top-level atoms; undefined when the pattern has a top-level alternation or inline flags. */
function atomsOf(pattern: string, caseSensitive: boolean): Atom[] | undefined {
  const atoms: Atom[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '|') return undefined;
    if (c === '(') {
      if (pattern[i + 1] === '?' && !/^\(\?(:|P?<)/.test(pattern.slice(i, i + 4))) return undefined;
      const end = closingParen(pattern, i);
      if (end < 0) return undefined;
      atoms.push('break');
      i = end + 1;
    } else if (c === '[') {
      const end = closingBracket(pattern, i);
      if (end < 0) return undefined;
      atoms.push('break');
      i = end + 1;
    } else if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return undefined;
      // An escaped punctuation character is itself; every other escape is a class, anchor or code.
      atoms.push(/[A-Za-z0-9]/.test(next) ? 'break' : literalAtom(next, caseSensitive));
      i += 2;
    } else if (c === '?' || c === '*') {
      makeOptional(atoms);
      i++;
    } else if (c === '+') {
      atoms.push('break');
      i++;
    } else if (c === '{') {
      const repeat = /^\{(\d+)(,\d*)?\}/.exec(pattern.slice(i));
      // {0}, {0,n}: the atom may be absent. Anything that is not a repeat is just not a literal here.
      if (repeat && Number(repeat[1]) === 0) makeOptional(atoms);
      atoms.push('break');
      i += repeat ? repeat[0].length : 1;
    } else if (SPECIAL.has(c)) {
      atoms.push('break');
      i++;
    } else {
      const codePoint = String.fromCodePoint(pattern.codePointAt(i) ?? 0);
      atoms.push(literalAtom(codePoint, caseSensitive));
      i += codePoint.length;
    }
  }
  return atoms;
}

function literalAtom(char: string, caseSensitive: boolean): Atom {
  const ascii = char.length === 1 && char.charCodeAt(0) < 0x80;
  const cased = char.toLowerCase() !== char.toUpperCase();
  if (cased && !ascii) return 'break';
  if (!caseSensitive && ODD_FOLDS.has(char)) return 'break';
  return { char };
}

/** A quantifier that allows zero repetitions: the atom before it is not required. */
function makeOptional(atoms: Atom[]): void {
  if (atoms.length > 0) atoms[atoms.length - 1] = 'break';
}

function closingParen(pattern: string, open: number): number {
  let depth = 0;
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '[') {
      i = closingBracket(pattern, i);
      if (i < 0) return -1;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

function closingBracket(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '[' && pattern[i + 1] === ':') {
      const end = pattern.indexOf(':]', i + 2);
      if (end < 0) return -1;
      i = end + 1;
    } else if (c === ']') return i;
  }
  return -1;
}
