/**
 * Finds every occurrence of many literal strings in a text, at a cost that depends on the text and
 * hardly on how many literals there are. The literals sit in a trie; a walk starts only at text
 * positions whose first two UTF-16 units begin some literal (or whose unit is a one-unit literal),
 * which a bit filter tells in one array read. (A plain Aho–Corasick automaton gives the same answer, but with tens of thousands of CJK
 * literals its per-character map lookups miss the cache and cost several times more.)
 *
 * Works on UTF-16 code units, which is exact for substring search.
 */

interface TrieNode<T> {
  readonly next: Map<number, TrieNode<T>>;
  /** The values of the literal that ends here, if one does. */
  values?: T[];
}

/** 2^20 bits (128 KiB): with 20,000 literals, about 2% of positions pass the filter needlessly. */
const FILTER_BITS = 1 << 20;

export class LiteralIndex<T> {
  private readonly root: TrieNode<T> = { next: new Map() };
  /** Units that are whole one-unit literals. */
  private readonly singleFilter = new Uint8Array(65_536 / 8);
  private readonly bigramFilter = new Uint8Array(FILTER_BITS / 8);
  private count = 0;

  add(literal: string, value: T): void {
    if (literal.length === 0) throw new Error('LiteralIndex: empty literal');
    let node = this.root;
    for (let i = 0; i < literal.length; i++) {
      const unit = literal.charCodeAt(i);
      let child = node.next.get(unit);
      if (!child) {
        child = { next: new Map() };
        node.next.set(unit, child);
      }
      node = child;
    }
    if (!node.values) {
      node.values = [];
      this.count++;
    }
    node.values.push(value);
    if (literal.length === 1) setBit(this.singleFilter, literal.charCodeAt(0));
    else setBit(this.bigramFilter, bigramSlot(literal.charCodeAt(0), literal.charCodeAt(1)));
  }

  /** How many distinct literals are indexed. */
  get size(): number {
    return this.count;
  }

  /**
   * Appends the value of each literal occurrence to `values`, and where it starts to `starts`,
   * by start position. (Arrays rather than a callback: this runs for every message.)
   */
  collect(text: string, values: T[], starts: number[]): void {
    if (this.count === 0) return;
    for (let start = 0; start < text.length; start++) {
      const unit = text.charCodeAt(start);
      if (hasBit(this.singleFilter, unit)) {
        for (const value of this.root.next.get(unit)?.values ?? []) {
          values.push(value);
          starts.push(start);
        }
      }
      if (
        start + 1 >= text.length ||
        !hasBit(this.bigramFilter, bigramSlot(unit, text.charCodeAt(start + 1)))
      ) {
        continue;
      }
      let node = this.root.next.get(unit);
      for (let i = start + 1; node && i < text.length; i++) {
        node = node.next.get(text.charCodeAt(i));
        for (const value of node?.values ?? []) {
          values.push(value);
          starts.push(start);
        }
      }
    }
  }
}

/** A multiplicative hash of two units into the filter: CJK bigrams share high bits, so mix both. */
function bigramSlot(a: number, b: number): number {
  return Math.imul(((a << 16) | b) >>> 0, 0x9e3779b1) >>> 12;
}

function setBit(bits: Uint8Array, index: number): void {
  bits[index >>> 3] = (bits[index >>> 3] ?? 0) | (1 << (index & 7));
}

function hasBit(bits: Uint8Array, index: number): boolean {
  return ((bits[index >>> 3] ?? 0) & (1 << (index & 7))) !== 0;
}
