// The one-line result of saving UPOs, shared by the bulk bar and the invoice detail.
import type { SavedUpos } from './backend/types';
import { t } from './i18n/index.svelte';

/** "Saved 3 UPOs to …", plus what was skipped when anything was. */
export function savedUposText(r: SavedUpos): string {
  const saved = t('bulk.upos_saved', { n: r.saved, folder: r.folder });
  if (r.without_upo === 0 && r.failed === 0) return saved;
  return `${saved}; ${t('bulk.upos_skipped', { without: r.without_upo, failed: r.failed })}`;
}
