// Original file: proto/quorumlock/v1/lock.proto

export const Mode = {
  EXCLUSIVE: 'EXCLUSIVE',
  SHARED: 'SHARED',
} as const;

export type Mode =
  | 'EXCLUSIVE'
  | 0
  | 'SHARED'
  | 1

export type Mode__Output = typeof Mode[keyof typeof Mode]
