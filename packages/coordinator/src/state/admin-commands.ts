import type { RevokeCommand } from './commands';
import { emit, type MachineContext, observe, sessionOf } from './context';
import { settle, startLockDelay } from './lock-table';
import { EMPTY_VALUE, isIdle, removeHold } from './resources';
import { ok, quote, refusal, type Status } from './status';
import { checkName, checkText, checkToken, MAX_REASON_BYTES } from './validate';

/** An administrator's commands on a resource (AdminService): revoke holds, delete the value. */

/** Ends one hold of `name` (`token`) or all of them; holders get `lost`, lock-delays start. */
export function revoke(m: MachineContext, c: RevokeCommand): Status {
  const invalid =
    checkName(m.limits, c.name) ?? (c.token === undefined ? undefined : checkToken(c.token)) ?? checkText('reason', c.reason, MAX_REASON_BYTES, true);
  if (invalid !== undefined) return refusal('ERR_INVALID_ARGUMENT', invalid);
  const r = m.st.resources.get(c.name);
  if (r === undefined) return refusal('ERR_NOT_FOUND', `no lock named ${quote(c.name)}`);
  const targets = c.token === undefined ? [...r.holders] : r.holders.filter((h) => h.token === c.token);
  if (targets.length === 0) {
    return refusal('ERR_NOT_HOLDER', c.token === undefined ? `${quote(c.name)} has no holders` : `token ${c.token} is not a current hold of ${quote(c.name)}`);
  }
  const reason = c.reason === '' ? 'revoked by an administrator' : c.reason;
  for (const hold of targets) {
    removeHold(r, hold.token);
    observe(m, { type: 'holdEnded', ended: 'revoked', grantedAt: hold.grantedAt });
    sessionOf(m, hold.sessionId).holds.delete(c.name);
    startLockDelay(m, r, hold.lockDelayMs);
    emit(m, { type: 'lost', sessionId: hold.sessionId, name: c.name, token: hold.token, reason, cause: 'revoked' });
  }
  settle(m, r);
  return ok(`revoked ${targets.length} holds of ${quote(c.name)}`);
}

/** Drops the value of `name`; the resource goes too when nothing else keeps it. */
export function deleteValue(m: MachineContext, name: string): Status {
  const invalid = checkName(m.limits, name);
  if (invalid !== undefined) return refusal('ERR_INVALID_ARGUMENT', invalid);
  const r = m.st.resources.get(name);
  if (r === undefined) return refusal('ERR_NOT_FOUND', `no lock named ${quote(name)}`);
  const bytes = r.value.byteLength;
  m.valueBytes -= bytes;
  r.value = EMPTY_VALUE;
  const resourceDeleted = isIdle(r, m.st.now);
  if (resourceDeleted) m.st.resources.delete(name);
  emit(m, { type: 'valueDeleted', sessionId: '', name, bytes, resourceDeleted });
  return ok(`value of ${quote(name)} deleted (${bytes} bytes)${resourceDeleted ? '; the idle resource is gone' : ''}`);
}
