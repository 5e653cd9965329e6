// The running import, kept outside the Import view so progress survives navigation and a
// drag-and-drop anywhere in the window can start it.

import { toBackendError } from './backend/errors';
import type { Backend, BackendError, ImportFinished, ImportProgress, ImportSummary, Unlisten } from './backend/types';

export class ImportJob {
  jobId = $state<number | null>(null);
  /** True between asking the backend to start and learning the job id. */
  starting = $state(false);
  progress = $state<ImportProgress | null>(null);
  summary = $state<ImportSummary | null>(null);
  cancelled = $state(false);
  error = $state<BackendError | null>(null);
  private readonly backend: Backend;
  private unlisten: Unlisten[] = [];
  /**
   * Events that arrived while `start_import` was still in flight: the backend may report progress,
   * or even finish a small import, before the command's answer (with the job id) reaches us.
   */
  private early = new Map<number, { progress?: ImportProgress; finished?: ImportFinished }>();

  constructor(backend: Backend) {
    this.backend = backend;
  }

  get running(): boolean {
    return this.starting || this.jobId !== null;
  }

  /** Subscribes to the backend's import events; returns the unsubscribe function. */
  async attach(): Promise<() => void> {
    this.unlisten = [
      await this.backend.listen('import_progress', (p) => {
        if (p.job_id === this.jobId) this.progress = p;
        else if (this.starting) this.stash(p.job_id, { progress: p });
      }),
      await this.backend.listen('import_finished', (f) => {
        if (f.job_id === this.jobId) this.finish(f);
        else if (this.starting) this.stash(f.job_id, { finished: f });
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
    this.early.clear();
    this.starting = true;
    this.progress = { job_id: -1, done: 0, total: paths.length, current_file: null };
    try {
      const { job_id } = await this.backend.start_import(paths);
      this.jobId = job_id;
      const early = this.early.get(job_id);
      this.progress = early?.progress ?? { ...this.progress, job_id };
      if (early?.finished) this.finish(early.finished);
    } catch (e) {
      this.progress = null;
      this.error = toBackendError(e);
    } finally {
      this.starting = false;
      this.early.clear();
    }
  }

  private stash(job_id: number, event: { progress?: ImportProgress; finished?: ImportFinished }): void {
    this.early.set(job_id, { ...this.early.get(job_id), ...event });
  }

  private finish(f: ImportFinished): void {
    this.summary = f.summary;
    this.cancelled = f.cancelled;
    this.jobId = null;
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
