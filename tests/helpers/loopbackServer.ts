/**
 * The plumbing every loopback stand-in for an outside service shares (the exchange emulators, the fake Ollama, the
 * notification receivers) and the scripts that need a port of their own (the soak, bench:cli): listen on 127.0.0.1
 * on a port the OS picks, read a request's body, and close without waiting for the client's keep-alive sockets.
 */
import type http from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Loopback {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Stops listening and drops open connections: keep-alive sockets from a client's fetch would hold close() open. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 on a free port. */
export async function listenOnLoopback(server: http.Server): Promise<Loopback> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A loopback port nothing listens on: one the OS handed out, released again (for a server started elsewhere). */
export async function freePort(): Promise<number> {
  const { port, close } = await listenOnLoopback(createServer());
  await close();
  return port;
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A body as JSON, or as the text it is when it is not JSON (a client sending garbage is something tests look at). */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
