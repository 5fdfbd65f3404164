/**
 * A TCP proxy in front of Postgres that can lose a COMMIT's answer: once armed, the next COMMIT a client sends is
 * forwarded to the server, and when the server's answer comes back the connection is cut instead of passing it on.
 * The transaction committed; the client only knows that its connection was lost during COMMIT.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export interface PgProxy {
  /** The database URL `url` with its host and port replaced by the proxy's. */
  readonly url: string;
  /** The next COMMIT through the proxy lands, and its connection is cut before the client reads the answer. */
  loseNextCommitAnswer(): void;
  /** COMMIT answers lost so far. */
  readonly lost: number;
  close(): Promise<void>;
}

/** A simple-protocol COMMIT as `pg` sends it: message 'Q', length, then the text and its NUL. */
const COMMIT = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 11]), Buffer.from('COMMIT\0')]);

export async function startPgProxy(target: string): Promise<PgProxy> {
  const targetUrl = new URL(target);
  const sockets = new Set<Socket>();
  let armed = false;
  let lost = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(targetUrl.port || 5432), targetUrl.hostname);
    sockets.add(client).add(upstream);
    let cutOnAnswer = false;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes(COMMIT)) {
        armed = false;
        cutOnAnswer = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutOnAnswer) {
        lost += 1;
        cut();
        return;
      }
      client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', cut);
      socket.on('close', () => {
        sockets.delete(socket);
        cut();
      });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);
  return {
    url: url.toString(),
    loseNextCommitAnswer() {
      armed = true;
    },
    get lost() {
      return lost;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
