import { describe, expect, it } from 'vitest';
import type { Attempt } from './backend/types';
import { resolveIntents, SEND_INTENT } from './attempts';

const attempt = (kind: string, outcome: string, started_at: number, error_code: string | null = null): Attempt => ({
  kind,
  outcome,
  started_at,
  finished_at: started_at + 10,
  error_code,
  request_id: null,
});

describe('resolveIntents', () => {
  it('shows an intent with the outcome of the send recorded after it', () => {
    const attempts = [
      attempt(SEND_INTENT, 'unknown', 100),
      attempt('send', 'transient', 100, 'ksef.http.503'),
      attempt(SEND_INTENT, 'unknown', 500),
      attempt('send', 'ok', 500),
      attempt('status', 'ok', 900),
    ];
    const shown = resolveIntents(attempts, 'accepted');
    expect(shown.map((a) => a.outcome)).toEqual(['transient', 'transient', 'ok', 'ok', 'ok']);
    expect(shown[0]?.error_code).toBe('ksef.http.503');
    expect(shown.map((a) => a.kind)).toEqual(attempts.map((a) => a.kind));
  });

  it('an intent without a recorded send is ok once the invoice reached KSeF, unknown before', () => {
    const batch = [attempt(SEND_INTENT, 'unknown', 100), attempt('status', 'ok', 400)];
    expect(resolveIntents(batch, 'accepted')[0]?.outcome).toBe('ok');
    expect(resolveIntents(batch, 'rejected')[0]?.outcome).toBe('ok');
    // Still being resolved (a crash mid-send): nothing is claimed.
    expect(resolveIntents(batch, 'sending')[0]?.outcome).toBe('unknown');
    expect(resolveIntents(batch, 'needs_attention')[0]?.outcome).toBe('unknown');
  });

  it('leaves every other attempt and the input untouched', () => {
    const attempts = [attempt('send', 'unknown', 100), attempt('upo', 'ok', 200)];
    const copy = structuredClone(attempts);
    expect(resolveIntents(attempts, 'accepted')).toEqual(copy);
    expect(attempts).toEqual(copy);
  });
});
