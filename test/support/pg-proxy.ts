/**
 * A TCP proxy in front of Postgres. It can lose a COMMIT's answer: once armed, the next COMMIT a client sends is
 * forwarded to the server, and when the server's answer comes back the connection is cut instead of passing it on
 * (the transaction committed; the client only knows that its connection was lost during COMMIT). And it counts what
 * the clients ask of the server, read from the protocol's own messages: statements (a simple query 'Q' or an
 * extended-protocol Execute 'E') and round trips (a 'Q' or a Sync 'S': each waits for the server's answer).
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
  /** What every client sent through the proxy so far. */
  counts(): StatementCounts;

  close(): Promise<void>;
}

export interface StatementCounts {
  /** Statements run: simple queries (BEGIN and COMMIT included) and extended-protocol executions. */
  statements: number;
  /** Requests that wait for the server's answer: simple queries and Syncs. */
  roundTrips: number;
}

/**
 * Reads the frontend messages of one connection as they stream by: the startup packet (no type byte; a length that
 * includes itself), then typed messages (a byte, then a length that includes itself but not the byte).
 */
function frontendCounter(counts: StatementCounts): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let started = false;
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (!started) {
        if (pending.length < 8) return;
        const length = pending.readInt32BE(0);
        const code = pending.readInt32BE(4);
        if (pending.length < length) return;
        pending = pending.subarray(length);
        // An SSLRequest (80877103) or GSSENCRequest (80877104) is followed by the real startup packet.
        if (code !== 80877103 && code !== 80877104) started = true;
        continue;
      }
      if (pending.length < 5) return;
      const length = pending.readInt32BE(1);
      if (pending.length < 1 + length) return;
      const type = String.fromCharCode(pending[0]!);
      if (type === 'Q' || type === 'E') counts.statements += 1;
      if (type === 'Q' || type === 'S') counts.roundTrips += 1;
      pending = pending.subarray(1 + length);
    }
  };
}

/** A simple-protocol COMMIT as `pg` sends it: message 'Q', length, then the text and its NUL. */
const COMMIT = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 11]), Buffer.from('COMMIT\0')]);

export async function startPgProxy(target: string): Promise<PgProxy> {
  const targetUrl = new URL(target);
  const sockets = new Set<Socket>();
  let armed = false;
  let lost = 0;
  const counts: StatementCounts = { statements: 0, roundTrips: 0 };
  const server: Server = createServer((client) => {
    const upstream = connect(Number(targetUrl.port || 5432), targetUrl.hostname);
    sockets.add(client).add(upstream);
    let cutOnAnswer = false;
    const count = frontendCounter(counts);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes(COMMIT)) {
        armed = false;
        cutOnAnswer = true;
      }
      count(chunk);
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
    counts: () => ({ ...counts }),
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
