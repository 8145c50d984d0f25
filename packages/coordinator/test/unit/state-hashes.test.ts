/**
 * StateHashes answers "the lock state's hash at exactly applied index A": the state only changes
 * when a command is applied, so a waiter for A is answered with the state just before the first
 * command after A, and never with a state from across a snapshot restore.
 */
import { StateHashes, stateHash } from '../../src/consistency';

describe('StateHashes', () => {
  let state = new Uint8Array([0]);
  const hashes = (): StateHashes => new StateHashes(() => state);

  beforeEach(() => {
    state = new Uint8Array([0]);
  });

  it('answers at once at the current index, null for a past index or an unknown one', async () => {
    const h = hashes();
    expect(await h.at(5, 1000)).toBeNull(); // nothing reported yet
    h.afterApply(5);
    expect(await h.at(5, 0)).toBe(stateHash(new Uint8Array([0])));
    expect(await h.at(4, 1000)).toBeNull();
  });

  it('a waiter for a later index gets the state as of that index, not a later one', async () => {
    const h = hashes();
    h.afterApply(10);
    const at12 = h.at(12, 5000);
    // 11 and 12 are no-ops (not applied to the machine); 13 is a command.
    h.afterApply(11);
    h.beforeApply(13);
    const expected = stateHash(state);
    state = new Uint8Array([13]);
    h.afterApply(13);
    expect(await at12).toBe(expected);
    expect(await h.at(13, 0)).toBe(stateHash(new Uint8Array([13])));
  });

  it('a restore answers every waiter with null, and so does a timeout', async () => {
    const h = hashes();
    h.afterApply(1);
    const waiting = h.at(7, 5000);
    h.restored();
    expect(await waiting).toBeNull();
    expect(await h.at(1, 0)).toBeNull(); // the index is unknown until the next report
    h.afterApply(20);
    expect(await h.at(25, 20)).toBeNull();
  });
});
