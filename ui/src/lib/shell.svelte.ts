// State the app chrome shows on every view: active company, KSeF availability, queue depth and
// the number of open alerts. Views call `refresh()` after changing any of them.

import type { Backend, Company, KsefStatus, Settings, Unlisten } from './backend/types';
import { setLanguage } from './i18n/index.svelte';

export class ShellState {
  companies = $state<Company[]>([]);
  ksef = $state<KsefStatus>({ state: 'available', since: null });
  queueDepth = $state(0);
  openAlerts = $state(0);
  settings = $state<Settings | null>(null);
  ready = $state(false);
  private readonly backend: Backend;

  constructor(backend: Backend) {
    this.backend = backend;
  }

  get active(): Company | null {
    return this.companies.find((c) => c.active) ?? null;
  }

  async load(): Promise<void> {
    const [settings] = await Promise.all([this.backend.get_settings(), this.refresh()]);
    this.settings = settings;
    setLanguage(settings.language);
    this.ready = true;
  }

  async refresh(): Promise<void> {
    // The engine status, not the dashboard: at 100 000 invoices the dashboard's metrics hold the
    // store for a while, and the chrome needs only the queue and KSeF's state.
    const [companies, status, alerts] = await Promise.all([
      this.backend.list_companies(),
      this.backend.engine_status(),
      this.backend.list_alerts(),
    ]);
    this.companies = companies;
    this.ksef = status.ksef;
    this.queueDepth = status.queue_depth;
    this.openAlerts = alerts.filter((a) => a.resolved_at === null).length;
  }

  async attach(): Promise<Unlisten> {
    return this.backend.listen('engine_status', (s) => {
      this.ksef = s.ksef;
      this.queueDepth = s.queue_depth;
    });
  }
}
