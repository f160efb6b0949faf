import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of the test database that can "freeze" it: connections stay open but no
 * byte moves either way, as when the database process is stopped (SIGSTOP) rather than killed.
 */
export async function startFreezeProxy(targetUri: string): Promise<{ uri: string; freeze(): void; thaw(): void; close(): Promise<void> }> {
  const target = new URL(targetUri.replace(/^mongodb:/, 'http:'));
  let frozen = false;
  const held: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const relay = (from: net.Socket, to: net.Socket) =>
    from.on('data', (chunk) => {
      if (!frozen) to.write(chunk);
      else held.push(() => to.write(chunk));
    });
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    relay(client, upstream);
    relay(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    uri: targetUri.replace(/\/\/([^/@]*@)?[^/]+/, `//$1127.0.0.1:${port}`),
    freeze: () => void (frozen = true),
    thaw: () => {
      frozen = false;
      for (const f of held.splice(0)) f();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
