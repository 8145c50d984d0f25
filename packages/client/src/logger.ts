/**
 * The logger the SDK writes to: pino-compatible (`logger.warn({ endpoint }, 'message')`), so a
 * pino instance (or a child of one) can be passed as is. The default logs nothing.
 */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const noop = (): void => undefined;

/** Logs nothing. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
