// The typed key set shared by every language: Polish defines it, every other language must match.

import type { pl } from './pl';

export type MessageKey = keyof typeof pl;
export type Messages = Record<MessageKey, string>;

/** Keys that exist as `_one` / `_few` / `_many` triples, named without the suffix. */
export type PluralKey = {
  [K in MessageKey]: K extends `${infer Base}_one`
    ? `${Base}_few` extends MessageKey
      ? `${Base}_many` extends MessageKey
        ? Base
        : never
      : never
    : never;
}[MessageKey];
