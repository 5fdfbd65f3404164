/**
 * A local Discord gateway for tests (`ws`, the WebSocket library discord.js itself uses): HELLO, IDENTIFY → READY
 * with no guilds, heartbeat ACKs, and dispatches the test pushes (INTERACTION_CREATE), so the real discord.js
 * Client connects and receives events. It serves GET /gateway/bot through FakeDiscordApi's `gatewayUrl`.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export class FakeDiscordGateway {
  /** Op codes received from the client (2 IDENTIFY, 1 HEARTBEAT, 6 RESUME…). */
  readonly received: number[] = [];
  private server: WebSocketServer | undefined;
  private readonly sockets = new Set<WebSocket>();
  private seq = 0;

  constructor(readonly applicationId: string) {}

  async listen(): Promise<string> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    this.server = server;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('message', (data: Buffer) => this.onMessage(socket, data));
      socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null }));
    });
    return this.url;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  /** Sends a dispatch to every connected client; resolves with its sequence number. */
  dispatch(type: string, data: unknown, sequence = ++this.seq): number {
    for (const socket of this.sockets) socket.send(JSON.stringify({ op: 0, t: type, s: sequence, d: data }));
    return sequence;
  }

  /** Closes every connection with `code` (4004: authentication failed, which nobody should retry). */
  closeAll(code: number): void {
    for (const socket of this.sockets) socket.close(code, 'closed by the fake gateway');
  }

  get connected(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private onMessage(socket: WebSocket, data: Buffer): void {
    const payload = JSON.parse(data.toString('utf8')) as { op: number };
    this.received.push(payload.op);
    if (payload.op === 1) socket.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
    if (payload.op === 2) {
      this.seq += 1;
      socket.send(
        JSON.stringify({
          op: 0,
          t: 'READY',
          s: this.seq,
          d: {
            v: 10,
            user: { id: this.applicationId, username: 'chipin', discriminator: '0', bot: true, avatar: null },
            guilds: [],
            session_id: 'fake-session',
            resume_gateway_url: this.url,
            shard: [0, 1],
            application: { id: this.applicationId, flags: 0 },
          },
        }),
      );
    }
  }
}
