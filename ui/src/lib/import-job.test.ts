// An import that the backend finishes before `start_import` has even answered still ends in a
// summary: the events are kept until the job id is known.

import { describe, expect, it } from 'vitest';
import { MockBackend } from './backend/mock';
import type { ImportSummary } from './backend/types';
import { ImportJob } from './import-job.svelte';
import { NOW } from '../test/harness';

const SUMMARY: ImportSummary = {
  imported: 1,
  already_known: 0,
  conflicts: 0,
  invalid: 0,
  items: [{ file: 'a.xml', outcome: 'imported', invoice_id: 5, code: null }],
};

class RacingBackend extends MockBackend {
  override async start_import(): Promise<{ job_id: number }> {
    // What a fast Rust command can do: emit both events, then return the job id.
    this.emit('import_progress', { job_id: 9, done: 1, total: 1, current_file: 'a.xml' });
    this.emit('import_finished', { job_id: 9, cancelled: false, summary: SUMMARY });
    return { job_id: 9 };
  }
}

describe('ImportJob', () => {
  it('applies progress and finish events that arrive before the job id', async () => {
    const backend = new RacingBackend({ invoices: 0, now: () => NOW });
    const job = new ImportJob(backend);
    await job.attach();
    await job.start(['a.xml']);
    expect(job.summary).toEqual(SUMMARY);
    expect(job.running).toBe(false);
  });

  it('ignores events of other jobs', async () => {
    const backend = new MockBackend({ invoices: 0, now: () => NOW, setTimer: () => undefined });
    const job = new ImportJob(backend);
    await job.attach();
    await job.start(['b.xml']);
    backend.emit('import_finished', { job_id: 999, cancelled: false, summary: SUMMARY });
    expect(job.summary).toBeNull();
    expect(job.running).toBe(true);
  });
});
