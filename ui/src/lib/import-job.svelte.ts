// The running import, kept outside the Import view so progress survives navigation and a
// drag-and-drop anywhere in the window can start it.

import { toBackendError } from './backend/errors';
import type { Backend, BackendError, ImportProgress, ImportSummary, Unlisten } from './backend/types';

export class ImportJob {
  jobId = $state<number | null>(null);
  progress = $state<ImportProgress | null>(null);
  summary = $state<ImportSummary | null>(null);
  cancelled = $state(false);
  error = $state<BackendError | null>(null);
  private readonly backend: Backend;
  private unlisten: Unlisten[] = [];

  constructor(backend: Backend) {
    this.backend = backend;
  }

  get running(): boolean {
    return this.jobId !== null;
  }

  /** Subscribes to the backend's import events; returns the unsubscribe function. */
  async attach(): Promise<() => void> {
    this.unlisten = [
      await this.backend.listen('import_progress', (p) => {
        if (p.job_id === this.jobId) this.progress = p;
      }),
      await this.backend.listen('import_finished', (f) => {
        if (f.job_id !== this.jobId) return;
        this.summary = f.summary;
        this.cancelled = f.cancelled;
        this.jobId = null;
      }),
    ];
    return () => this.detach();
  }

  detach(): void {
    for (const stop of this.unlisten) stop();
    this.unlisten = [];
  }

  async start(paths: string[]): Promise<void> {
    if (paths.length === 0 || this.running) return;
    this.summary = null;
    this.cancelled = false;
    this.error = null;
    this.progress = { job_id: -1, done: 0, total: paths.length, current_file: null };
    try {
      const { job_id } = await this.backend.start_import(paths);
      this.jobId = job_id;
      if (this.progress.job_id === -1) this.progress = { ...this.progress, job_id };
    } catch (e) {
      this.progress = null;
      this.error = toBackendError(e);
    }
  }

  /** Shows a finished summary that did not come from a file import (demo invoices). */
  showSummary(summary: ImportSummary): void {
    this.summary = summary;
    this.cancelled = false;
    this.progress = null;
  }

  async cancel(): Promise<void> {
    if (this.jobId === null) return;
    try {
      await this.backend.cancel_import(this.jobId);
    } catch (e) {
      this.error = toBackendError(e);
    }
  }
}
