/** How acquire options become a LockRequest (defaults, refusals) and how addresses are dialled. */
import * as grpc from '@grpc/grpc-js';
import { ChannelPool } from '../../src/channels';
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

describe('ChannelPool dialMap', () => {
  it('dials the mapped address but keeps the advertised one as the key', () => {
    const pool = new ChannelPool(grpc.credentials.createInsecure(), { '10.0.0.1:6001': '127.0.0.1:16001' });
    const mapped = pool.get('10.0.0.1:6001');
    expect(mapped.getChannel().getTarget()).toContain('127.0.0.1:16001');
    expect(pool.get('10.0.0.1:6001')).toBe(mapped);
    expect(pool.get('127.0.0.1:7000').getChannel().getTarget()).toContain('127.0.0.1:7000');
    pool.close();
  });
});
