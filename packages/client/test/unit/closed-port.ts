import * as net from 'node:net';

/**
 * A 127.0.0.1 port nothing listens on: one the kernel just handed out and that was closed again.
 * (Port 1 is not safe to assume closed: any host may run something there.)
 */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
