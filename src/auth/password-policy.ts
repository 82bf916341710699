import { zxcvbn, zxcvbnOptions } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as enDictionary, translations } from '@zxcvbn-ts/language-en';
import type { FieldError } from '../errors/index.js';
import { compactRankedDictionary } from './compact-dictionary.js';

export interface PasswordPolicyConfig {
  minLength: number;
  maxLength: number;
  minStrength: number;
}

/** The public policy, as `GET /api/v1/auth/security-info` shows it. */
export interface PublicPasswordPolicy {
  min_length: number;
  max_length: number;
  min_strength: number;
  composition_rules: false;
  rejects: string[];
}

/**
 * NIST SP 800-63B style: length bounds, no composition rules, and a strength estimate (zxcvbn)
 * that rejects common passwords and ones built from the user's own email or name.
 */
export interface PasswordPolicy {
  /** Field errors for `pointer`, or an empty list when the password is acceptable. */
  check(password: string, context: { email?: string; name?: string | null }, pointer: string): FieldError[];
  describe(): PublicPasswordPolicy;
}

let configured = false;
function configureZxcvbn(): void {
  if (configured) return;
  zxcvbnOptions.setOptions({ graphs: adjacencyGraphs, translations });
  // The word lists as compact dictionaries (setOptions({ dictionary }) would build an object with a
  // property per word: ~10 MiB more heap in every process).
  const lists: Record<string, string[]> = { ...commonDictionary, ...enDictionary };
  for (const [name, list] of Object.entries(lists)) {
    zxcvbnOptions.rankedDictionaries[name] = compactRankedDictionary(list);
    zxcvbnOptions.rankedDictionariesMaxWordSize[name] = list.reduce((max, word) => Math.max(max, word.length), 0);
  }
  configured = true;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const words = (s: string): string[] => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 3);

/** What zxcvbn treats as guessable for this user: the email, the name, their parts and joins. */
function userInputs(context: { email?: string; name?: string | null }): string[] {
  const inputs = ['vigil'];
  for (const value of [context.email?.split('@')[0], context.name]) {
    if (!value) continue;
    inputs.push(value.toLowerCase(), ...words(value), words(value).join(''));
  }
  if (context.email) inputs.push(context.email.toLowerCase());
  return [...new Set(inputs.filter(Boolean))];
}

export function createPasswordPolicy(config: PasswordPolicyConfig): PasswordPolicy {
  configureZxcvbn();
  return {
    check(password, context, pointer) {
      const length = [...password].length;
      if (length < config.minLength) return [{ pointer, detail: `must be at least ${config.minLength} characters` }];
      if (length > config.maxLength) return [{ pointer, detail: `must be at most ${config.maxLength} characters` }];
      if (CONTROL.test(password)) return [{ pointer, detail: 'must not contain control characters' }];
      const result = zxcvbn(password, userInputs(context));
      if (result.score < config.minStrength) {
        const hint = result.feedback.warning || result.feedback.suggestions[0] || 'it is too easy to guess';
        return [{ pointer, detail: `is too weak (strength ${result.score}/4, needs ${config.minStrength}): ${hint}` }];
      }
      return [];
    },
    describe: () => ({
      min_length: config.minLength,
      max_length: config.maxLength,
      min_strength: config.minStrength,
      composition_rules: false,
      rejects: ['common passwords', 'passwords built from your email or name', 'control characters'],
    }),
  };
}
