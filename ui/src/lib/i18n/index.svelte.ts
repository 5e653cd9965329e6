// The UI language: a reactive locale plus `t` / `tn` lookups. Components call `t(...)` in markup,
// so a language switch re-renders every string without reloading.

import type { Language } from '../backend/types';
import { en } from './en';
import type { MessageKey, Messages, PluralKey } from './messages';
import { pl } from './pl';

export type { MessageKey, PluralKey } from './messages';

const CATALOGUES: Record<Language, Messages> = { pl, en };

const BCP47: Record<Language, string> = { pl: 'pl-PL', en: 'en-GB' };

const current = $state<{ lang: Language }>({ lang: 'pl' });

export function language(): Language {
  return current.lang;
}

export function setLanguage(lang: Language): void {
  current.lang = lang;
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

/** The BCP 47 tag used for Intl formatting of the current language. */
export function localeTag(): string {
  return BCP47[current.lang];
}

export type Params = Record<string, string | number>;

function interpolate(text: string, params?: Params): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

/** Whether `key` is a message key (for backend strings that may or may not have a translation). */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(pl, key);
}

/** Translates `prefix + value` when such a key exists, otherwise shows the value as received. */
export function tOr(prefix: string, value: string): string {
  const key = `${prefix}${value}`;
  return isMessageKey(key) ? t(key) : value;
}

export function t(key: MessageKey, params?: Params): string {
  return interpolate(CATALOGUES[current.lang][key], params);
}

/** Plural form by CLDR rules of the current language; `{n}` is filled with the grouped count. */
export function tn(base: PluralKey, n: number, params?: Params): string {
  const rule = new Intl.PluralRules(localeTag()).select(n);
  const form = rule === 'one' ? 'one' : rule === 'few' ? 'few' : 'many';
  const key = `${base}_${form}` as MessageKey;
  return t(key, { n: new Intl.NumberFormat(localeTag()).format(n), ...params });
}
