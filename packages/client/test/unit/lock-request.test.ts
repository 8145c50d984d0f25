/** How acquire options become a LockRequest: defaults and the values that are refused. */
import { lockRequest } from '../../src/lock-client';
import { InvalidArgumentError } from '../../src/errors';

describe('lockRequest', () => {
  it('defaults to an exclusive hold on a mutex and one shared slot on a semaphore', () => {
    expect(lockRequest('m', {}, false)).toMatchObject({ capacity: 1, permits: 1, mode: 'EXCLUSIVE' });
    expect(lockRequest('gpu', { capacity: 4 }, false)).toMatchObject({ capacity: 4, permits: 1, mode: 'SHARED' });
    expect(lockRequest('gpu', { capacity: 4, mode: 'exclusive' }, false)).toMatchObject({ mode: 'EXCLUSIVE' });
  });

  it('refuses permits beyond the capacity, naming both', () => {
    expect(() => lockRequest('gpu', { capacity: 2, permits: 3 }, false)).toThrow(InvalidArgumentError);
    expect(() => lockRequest('gpu', { capacity: 2, permits: 3 }, false)).toThrow(/permits 3 exceeds capacity 2/);
  });
});
