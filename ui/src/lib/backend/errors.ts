// Normalises whatever a backend call rejected with into the `{ code, message }` contract.

import type { BackendError } from './types';

/** Code used when a rejection did not carry our error shape (a bug in the IPC layer). */
export const IPC_UNKNOWN_CODE = 'ipc.unknown';

export function isBackendError(value: unknown): value is BackendError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

export function toBackendError(value: unknown): BackendError {
  if (isBackendError(value)) return { code: value.code, message: value.message };
  const message = value instanceof Error ? value.message : String(value);
  return { code: IPC_UNKNOWN_CODE, message };
}
