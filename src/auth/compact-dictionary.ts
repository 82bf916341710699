/**
 * zxcvbn's ranked dictionaries, held compactly. zxcvbn builds one object per word list with a
 * property per word (word → rank, the rank being its position in the frequency-ordered list): for
 * the common and English lists, 207 000 properties and as many strings, about 20 MiB of heap in
 * every process. Here a list is one string of its words, their offsets and an open-addressing hash
 * table of word numbers: about 4 MiB for the same lists, the same answers, and a lookup as fast.
 *
 * zxcvbn's dictionary matcher only asks `word in dictionary` and `dictionary[word]`; a Proxy answers
 * both, and enumeration (Levenshtein matching, off by default) lists the words.
 */
export type RankedDictionary = Record<string, number>;

/** FNV-1a over UTF-16 code units of `s[start, end)`. */
function hashOf(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The list's distinct words, concatenated, with their offsets and ranks. A function of its own:
 * the lookup closures below must not share a scope with (and so keep alive) the word list.
 */
function pack(list: readonly string[]): { text: string; starts: Int32Array; rankOf: Int32Array } {
  // As in zxcvbn's own object, a word listed twice keeps the rank of its last position.
  const index = new Map<string, number>();
  const words: string[] = [];
  const ranks: number[] = [];
  list.forEach((item, i) => {
    const word = String(item);
    const known = index.get(word);
    if (known !== undefined) {
      ranks[known] = i + 1;
      return;
    }
    index.set(word, words.length);
    words.push(word);
    ranks.push(i + 1);
  });
  const starts = new Int32Array(words.length + 1);
  for (let i = 0, offset = 0; i < words.length; i++) {
    starts[i] = offset;
    offset += words[i]!.length;
    starts[i + 1] = offset;
  }
  return { text: words.join(''), starts, rankOf: Int32Array.from(ranks) };
}

export function compactRankedDictionary(list: readonly string[]): RankedDictionary {
  const { text, starts, rankOf } = pack(list);
  const count = rankOf.length;
  let size = 1;
  while (size < count * 2) size <<= 1;
  const mask = size - 1;
  // Slot holds word number + 1; 0 is empty.
  const table = new Int32Array(size);
  for (let w = 0; w < count; w++) {
    let slot = hashOf(text, starts[w]!, starts[w + 1]!) & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = w + 1;
  }

  const rank = (key: string): number | undefined => {
    const length = key.length;
    let slot = hashOf(key, 0, length) & mask;
    for (let entry = table[slot]!; entry !== 0; slot = (slot + 1) & mask, entry = table[slot]!) {
      const start = starts[entry - 1]!;
      if (starts[entry]! - start === length && text.startsWith(key, start)) return rankOf[entry - 1];
    }
    return undefined;
  };
  const wordAt = (w: number) => text.slice(starts[w], starts[w + 1]);

  return new Proxy(Object.create(null) as RankedDictionary, {
    has: (_target, key) => typeof key === 'string' && rank(key) !== undefined,
    get: (_target, key) => (typeof key === 'string' ? rank(key) : undefined),
    ownKeys: () => Array.from({ length: count }, (_, w) => wordAt(w)),
    getOwnPropertyDescriptor: (_target, key) => {
      const value = typeof key === 'string' ? rank(key) : undefined;
      return value === undefined ? undefined : { value, writable: false, enumerable: true, configurable: true };
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}
