/**
 * zxcvbn's ranked dictionaries, held compactly. zxcvbn builds one object per word list with a
 * property per word (word → rank, the rank being its position in the frequency-ordered list): for
 * the common and English lists, 207 000 properties, about 10 MiB of heap in every process, next to
 * the lists themselves (which their modules keep). Here a dictionary is the list plus an
 * open-addressing hash table of positions in it: under 2 MiB for the same lists, and the same
 * answers.
 *
 * zxcvbn's dictionary matcher only asks `word in dictionary` and `dictionary[word]`; a Proxy answers
 * both, and enumeration (Levenshtein matching, off by default) lists the words.
 */
export type RankedDictionary = Record<string, number>;

/** FNV-1a over the string's UTF-16 code units. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function compactRankedDictionary(list: readonly string[]): RankedDictionary {
  let size = 1;
  while (size < list.length * 2) size <<= 1;
  const mask = size - 1;
  // A slot holds a position in the list + 1 (0: empty). As in zxcvbn's own object, a word listed
  // twice has the rank of its last position.
  const table = new Int32Array(size);
  const slotOf = (word: string): number => {
    let slot = hashOf(word) & mask;
    while (table[slot] !== 0 && list[table[slot]! - 1] !== word) slot = (slot + 1) & mask;
    return slot;
  };
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== 'string') throw new TypeError(`word ${i} of a dictionary is not a string`);
    table[slotOf(list[i]!)] = i + 1;
  }
  const rank = (word: string): number | undefined => table[slotOf(word)] || undefined;
  const words = () => {
    const distinct: string[] = [];
    for (const position of table) if (position !== 0) distinct.push(list[position - 1]!);
    return distinct;
  };

  return new Proxy(Object.create(null) as RankedDictionary, {
    has: (_target, key) => typeof key === 'string' && rank(key) !== undefined,
    get: (_target, key) => (typeof key === 'string' ? rank(key) : undefined),
    ownKeys: words,
    getOwnPropertyDescriptor: (_target, key) => {
      const value = typeof key === 'string' ? rank(key) : undefined;
      return value === undefined ? undefined : { value, writable: false, enumerable: true, configurable: true };
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}
