// How the detail panel shows an invoice's attempts. The engine writes a `send_intent` attempt
// (outcome `unknown`) *before* each send leaves, so a crash mid-send can be resolved by asking
// KSeF; once the send is recorded, or the invoice has moved on, that intent is no longer unknown.
import type { Attempt, InvoiceState } from './backend/types';

/** The attempt kind the engine records before a send request leaves. */
export const SEND_INTENT = 'send_intent';

/** States an invoice reaches only after KSeF received it. */
const REACHED_KSEF: readonly InvoiceState[] = ['sent', 'accepted', 'rejected'];

/**
 * `attempts` with each unknown send intent showing what became of it: the outcome of the send
 * recorded after it, else `ok` when the invoice has reached KSeF since; otherwise it stays
 * `unknown` (the engine is still finding out by asking KSeF).
 */
export function resolveIntents(attempts: readonly Attempt[], state: InvoiceState): Attempt[] {
  return attempts.map((a, i) => {
    if (a.kind !== SEND_INTENT || a.outcome !== 'unknown') return a;
    const send = attempts.slice(i + 1).find((later) => later.kind === 'send' && later.started_at >= a.started_at);
    if (send) return { ...a, outcome: send.outcome, error_code: send.error_code };
    return REACHED_KSEF.includes(state) ? { ...a, outcome: 'ok' } : a;
  });
}
