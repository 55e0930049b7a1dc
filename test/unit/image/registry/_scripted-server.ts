// A scripted HTTP server on 127.0.0.1 for transport edge cases the real
// registry cannot produce on demand (resets mid-body, bad Content-Range...).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, index: number) => unknown;

export interface ScriptedServer {
  /** `127.0.0.1:<port>` */
  host: string;
  origin: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a server answering with `handler`; every request is recorded before the handler runs. */
export async function serve(handler: Handler): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    Promise.resolve(handler(req, res, requests.length - 1)).catch((err) => {
      res.destroy(err as Error);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
