import { zxcvbn, zxcvbnOptions } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as enDictionary, translations } from '@zxcvbn-ts/language-en';
import { describe, expect, it } from 'vitest';
import { compactRankedDictionary } from '../../src/auth/compact-dictionary.js';
import { createPasswordPolicy } from '../../src/auth/password-policy.js';

const lists: Record<string, string[]> = { ...commonDictionary, ...enDictionary };

/** zxcvbn's own ranked dictionary (Options.setRankedDictionaries), as a null-prototype object. */
function stockRanked(list: readonly string[]): Record<string, number> {
  const ranked: Record<string, number> = Object.create(null);
  list.forEach((word, i) => (ranked[word] = i + 1));
  return ranked;
}

describe('compact ranked dictionaries', () => {
  it('rank every word of every list as zxcvbn does, and nothing else', () => {
    for (const [name, list] of Object.entries(lists)) {
      const stock = stockRanked(list);
      const compact = compactRankedDictionary(list);
      for (const word of list) {
        if (compact[word] !== stock[word]) expect.fail(`${name}: ${word} ranked ${compact[word]}, zxcvbn ${stock[word]}`);
      }
      for (const probe of ['', 'zzzzqqqq', `${list[0]}x`, list[0]!.slice(0, -1), 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        expect(probe in compact, `${name}: ${probe}`).toBe(probe in stock);
        expect(compact[probe], `${name}: ${probe}`).toBe(stock[probe]);
      }
      expect(Object.keys(compact)).toHaveLength(Object.keys(stock).length);
    }
  });

  it('give a repeated word the rank of its last position, and cannot be written to', () => {
    const compact = compactRankedDictionary(['alpha', 'beta', 'alpha', 'gamma']);
    expect(compact).toMatchObject({ alpha: 3, beta: 2, gamma: 4 });
    expect(Object.keys(compact).sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(() => {
      'use strict';
      compact.delta = 1;
    }).toThrow(TypeError);
    expect('delta' in compact).toBe(false);
  });

  it('give zxcvbn the same estimates and feedback as its own dictionaries', () => {
    // Words from every list, as they are, capitalised, l33t, reversed and joined with digits or each other.
    const passwords = ['correct-Horse-battery-staple-42', 'Tr0ub4dor&3', 'P@ssw0rd!2024', 'qwertyuiop12', '1q2w3e4r5t6y', 'aaaaaaaaaaaaaa', 'Jennifer1990!', 'abcdefghijkl', 'zxcvbnm,./'];
    for (const list of Object.values(lists)) {
      for (let i = 0; i < list.length; i += Math.floor(list.length / 12)) {
        const word = list[i]!;
        const next = list[(i * 7 + 3) % list.length]!;
        passwords.push(word, word[0]!.toUpperCase() + word.slice(1), word.replace(/a/g, '4').replace(/e/g, '3').replace(/o/g, '0'), [...word].reverse().join(''), `${word}2019`, `${word}${next}`, `${next}-${word}!`);
      }
    }
    const estimate = () => passwords.map((p) => {
      const r = zxcvbn(p, ['vigil', 'ann.smith@example.com']);
      return { p, score: r.score, guesses: r.guesses, sequence: r.sequence.map((m) => [m.pattern, m.token, 'rank' in m ? m.rank : undefined]), feedback: r.feedback };
    });

    zxcvbnOptions.setOptions({ graphs: adjacencyGraphs, dictionary: lists, translations });
    const stock = estimate();
    const stockPasswords = zxcvbnOptions.rankedDictionaries.passwords;
    // What the password policy installs in place of zxcvbn's own.
    createPasswordPolicy({ minLength: 12, maxLength: 128, minStrength: 3 });
    expect(zxcvbnOptions.rankedDictionaries.passwords).not.toBe(stockPasswords);
    expect(estimate()).toEqual(stock);
  });
});
