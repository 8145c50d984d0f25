/**
 * Configuration validation: nonsense is refused with a ConfigError naming the field and value.
 */
import { ConfigError, DEFAULT_RAFT_CONFIG, type RaftConfigInput } from '../../src/core/config';
import { RawNode } from '../../src/core/raw-node';
import { SeededRng } from '../../src/core/rng';
import { MemoryStorage } from '../../src/storage/memory-storage';

function make(over: Partial<RaftConfigInput>): RawNode {
  return new RawNode({ id: 'n1', storage: new MemoryStorage(), rng: new SeededRng(1), peers: ['n1'], ...over });
}

function configError(over: Partial<RaftConfigInput>): ConfigError {
  try {
    make(over);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(over)}`);
}

describe('config validation', () => {
  it.each<[Partial<RaftConfigInput>, string[]]>([
    [{ electionTicks: 0 }, ['electionTicks', '0']],
    [{ electionTicks: -5 }, ['electionTicks', '-5']],
    [{ electionTicks: 2.5 }, ['electionTicks', '2.5']],
    [{ heartbeatTicks: 0 }, ['heartbeatTicks', '0']],
    [{ heartbeatTicks: 10, electionTicks: 10 }, ['heartbeatTicks', 'electionTicks', '10']],
    [{ heartbeatTicks: 12, electionTicks: 10 }, ['heartbeatTicks (12)', 'electionTicks (10)']],
    [{ maxBytesPerMsg: 0 }, ['maxBytesPerMsg', '0']],
    [{ maxBytesPerMsg: Number.NaN }, ['maxBytesPerMsg', 'NaN']],
    [{ maxInflightMsgs: 0 }, ['maxInflightMsgs', '0']],
    [{ maxInflightMsgs: Number.POSITIVE_INFINITY }, ['maxInflightMsgs', 'Infinity']],
    [{ maxCommittedBytesPerReady: -1 }, ['maxCommittedBytesPerReady', '-1']],
    [{ snapshotChunkBytes: 0 }, ['snapshotChunkBytes', '0']],
    [{ applied: -1 }, ['applied', '-1']],
    [{ applied: 1.5 }, ['applied', '1.5']],
    [{ id: '' }, ['id']],
  ])('%j is refused with a ConfigError naming %j', (over, words) => {
    const err = configError(over);
    expect(err.name).toBe('ConfigError');
    expect(err).toBeInstanceOf(Error);
    for (const w of words) expect(err.message).toContain(w);
  });

  it('the defaults and a typical test configuration are accepted', () => {
    const n = make({});
    expect(n.raft.electionState().randomizedElectionTimeout).toBeGreaterThanOrEqual(DEFAULT_RAFT_CONFIG.electionTicks);
    expect(n.raft.electionState().randomizedElectionTimeout).toBeLessThan(2 * DEFAULT_RAFT_CONFIG.electionTicks);
    expect(() => make({ electionTicks: 2, heartbeatTicks: 1, maxInflightMsgs: 1, maxBytesPerMsg: 1, snapshotChunkBytes: 1 })).not.toThrow();
  });

  it('a valid config with an applied index past the stored log is a broken invariant, not a ConfigError', () => {
    expect(() => make({ applied: 10 })).toThrow(/past the stored log/);
    expect(() => make({ applied: 10 })).not.toThrow(ConfigError);
  });
});
