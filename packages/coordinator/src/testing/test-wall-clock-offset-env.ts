/** TEST ONLY: the variable that test-wall-clock-offset.ts (a preload) reads its offset file from. */
export const OFFSET_FILE_ENV = 'QUORUMLOCK_TEST_ONLY_WALL_CLOCK_OFFSET_FILE';
