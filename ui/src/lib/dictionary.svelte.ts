// The error dictionary as the UI uses it: every code is shown as title, explanation and what to
// do, in the UI language; a code the dictionary does not know still shows, with the code itself.

import type { Backend, DictEntry, DictText, Language } from './backend/types';
import { t } from './i18n/index.svelte';

export interface Explained extends DictText {
  code: string;
  known: boolean;
}

export class DictionaryStore {
  entries = $state<DictEntry[]>([]);
  private index = $derived(new Map(this.entries.map((e) => [e.code, e])));

  async load(backend: Backend): Promise<void> {
    this.entries = await backend.dictionary();
  }

  explain(code: string, lang: Language): Explained {
    const entry = this.index.get(code);
    if (entry) return { code, known: true, ...entry[lang] };
    return {
      code,
      known: false,
      title: t('dict.unknown.title', { code }),
      explanation: t('dict.unknown.explanation'),
      action: t('dict.unknown.action'),
    };
  }
}
