import type { Message } from '../core/types';

/**
 * Which of a peer's two streams a message travels on. Each lane is its own channel (TCP
 * connection) and stream: `data` carries log replication (appends, snapshots and their answers),
 * `control` the small messages that keep a leader in place (heartbeats, votes and their answers).
 *
 * Why: under a burst of client work, appends to a follower that read slowly piled up behind
 * HTTP/2 flow control (10 MB, 295 messages), and the heartbeats queued behind them waited 1.5 s
 * for the stream to drain, longer than an election timeout (issue 9 §8). Order is kept within a
 * lane only; Raft does not need it across lanes (the simulator reorders messages freely).
 */
export type Lane = 'control' | 'data';

export function laneOf(message: Message): Lane {
  switch (message.type) {
    case 'heartbeat':
    case 'heartbeatResp':
    case 'vote':
    case 'voteResp':
    case 'preVote':
    case 'preVoteResp':
      return 'control';
    default:
      return 'data';
  }
}
