import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  target: string;
  host: string;
  authorization: string;
  body: unknown;
}

/** A loopback stand-in for an AWS JSON-protocol endpoint: answers each request with the next scripted reply. */
export async function startFakeAws(
  reply: (req: RecordedRequest, index: number) => { status: number; body: unknown; errorType?: string },
) {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const rec: RecordedRequest = {
        target: String(req.headers['x-amz-target'] ?? ''),
        host: String(req.headers.host ?? ''),
        authorization: String(req.headers.authorization ?? ''),
        body: data ? JSON.parse(data) : undefined,
      };
      requests.push(rec);
      const r = reply(rec, requests.length - 1);
      res.writeHead(r.status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': `req-${requests.length}`,
        ...(r.errorType ? { 'x-amzn-errortype': r.errorType } : {}),
      });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const awsError = (type: string, message: string, status = 400) => ({
  status,
  errorType: type,
  body: { __type: type, message },
});
