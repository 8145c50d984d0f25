/**
 * A preload (`node --require .../dist/testing/exit-with-parent.js`) for servers that
 * CoordinatorCluster starts in process groups of their own (`detached`): a terminal's Ctrl-C
 * or a hang-up no longer reaches them, so when the parent goes away without stopping them
 * (SIGKILLed, or crashed past its own clean-up) nothing else would. The parent's end of the IPC
 * channel closes whenever its process ends, however it ends; the server then stops itself
 * through its clean stop path (SIGTERM: a leader hands leadership over first).
 */
if (typeof process.send === 'function') {
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
