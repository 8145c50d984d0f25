/**
 * What an empty founder reads in another founder's Status answer (founder-check.ts): a cluster
 * that has run (it must rejoin as a new incarnation) or one that is only forming (it may
 * bootstrap with the others).
 */
import { leaderAddressOf, showsHistory, type PeerStatus } from '../../src/founder-check';

const member = (id: string, commitIndex = 0, voter = true): PeerStatus['members'][number] => ({ id, clientAddress: `${id}:6001`, peerAddress: `${id}:7001`, matchIndex: 0, commitIndex, voter });
const answer = (over: Partial<PeerStatus>): PeerStatus => ({ clusterId: 'c', leaderId: '', term: 0, answeredBy: 'b', members: [], ...over });

test('a founder waiting to bootstrap, or bootstrapped with no leader and nothing committed past the founders, shows no history', () => {
  expect(showsHistory(answer({}), 'a', 3)).toBe(false);
  expect(showsHistory(answer({ term: 7, members: [member('a'), member('b', 3), member('c')] }), 'a', 3)).toBe(false);
});

test('a known leader, a commit past the bootstrap entries, or a membership without this node is a history', () => {
  expect(showsHistory(answer({ leaderId: 'c', term: 2, members: [member('a'), member('b', 3), member('c')] }), 'a', 3)).toBe(true);
  expect(showsHistory(answer({ term: 9, members: [member('a'), member('b', 4), member('c')] }), 'a', 3)).toBe(true);
  expect(showsHistory(answer({ term: 9, members: [member('b', 3), member('c')] }), 'a', 3)).toBe(true);
});

test('the leader\'s client address comes from the answer\'s own member list', () => {
  expect(leaderAddressOf(answer({ leaderId: 'c', members: [member('b'), member('c')] }))).toBe("c:7001");
  expect(leaderAddressOf(answer({ members: [member('b')] }))).toBe('');
});
