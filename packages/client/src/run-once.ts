/**
 * The done marker `runOnce` stores as a job's fenced value: a small JSON document
 *
 *     {"quorumlock":"runOnce/v1","done":true,"token":123,"at":"2026-…Z","result":…}
 *
 * (`result` is omitted and `"resultOmitted":true` set when the result is not JSON-serializable
 * or its JSON is larger than the limit). Any other value, including an empty one, means "not
 * done", so a resource that also carries application data is never mistaken for a finished job.
 */

export const DEFAULT_RUN_ONCE_PREFIX = 'job:';
export const DEFAULT_MAX_RESULT_BYTES = 16 * 1024;
const FORMAT = 'runOnce/v1';

export interface DoneMarker {
  readonly token: number;
  readonly at: string;
  readonly result?: unknown;
  readonly resultOmitted?: boolean;
}

export function encodeDoneMarker(result: unknown, token: number, maxResultBytes: number): Uint8Array {
  const base = { quorumlock: FORMAT, done: true, token, at: new Date().toISOString() };
  let resultJson: string | undefined;
  try {
    resultJson = result === undefined ? undefined : JSON.stringify(result);
  } catch {
    resultJson = undefined; // cyclic or BigInt: keep the marker, drop the result
  }
  const fits = resultJson !== undefined && Buffer.byteLength(resultJson) <= maxResultBytes;
  const doc = fits ? { ...base, result } : result === undefined ? base : { ...base, resultOmitted: true };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/** The marker in `value`, or undefined when `value` is not one. */
export function decodeDoneMarker(value: Uint8Array): DoneMarker | undefined {
  if (value.byteLength === 0 || value[0] !== 0x7b /* { */) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(value));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const d = doc as Record<string, unknown>;
  if (d['quorumlock'] !== FORMAT || d['done'] !== true || typeof d['token'] !== 'number') return undefined;
  const marker: { token: number; at: string; result?: unknown; resultOmitted?: boolean } = {
    token: d['token'],
    at: typeof d['at'] === 'string' ? d['at'] : '',
  };
  if ('result' in d) marker.result = d['result'];
  if (d['resultOmitted'] === true) marker.resultOmitted = true;
  return marker;
}
