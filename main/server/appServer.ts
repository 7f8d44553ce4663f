/**
 * The app over HTTP and a WebSocket, for a browser (`netsprout serve`): the built renderer as static files,
 * POST /api/<method> for every AppApi call, and /events for pushed events. Bound to the loopback interface only,
 * and every request, static files and the WebSocket included, needs the random token printed at start (from the
 * page URL, then an HttpOnly SameSite=Strict cookie; or `Authorization: Bearer`). Requests naming another host
 * (DNS rebinding) or coming from another origin are refused too. The wire format is in main/common/appApi.ts.
 */
import { timingSafeEqual } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { SERVE_API_PREFIX, SERVE_EVENTS_PATH, type AppApi, type AppError } from '../common/appApi.js';
import { dispatch } from '../services/apiDispatch.js';

export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'] as const;
/** An upload of 20 MB as base64, with room for the JSON around it. */
export const MAX_BODY_BYTES = 30 * 2 ** 20;

export interface AppServerOptions {
  api: AppApi;
  token: string;
  rendererDir: string;
  host?: string;
  port?: number;
}

export interface RunningServer {
  server: http.Server;
  port: number;
  host: string;
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** The page may load only its own files; styles may be set inline (Svelte transitions, charts), nothing else. */
export function contentSecurityPolicy(port: number): string {
  // CSP host sources cannot name IPv6 literals; 'self' covers the page's own origin whichever loopback name it has.
  const ws = LOOPBACK_HOSTS.filter((h) => !h.includes(':')).map((h) => `ws://${h}:${port}`).join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${ws}`,
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieName(port: number): string {
  return `netsprout-token-${port}`;
}

function tokenFrom(req: http.IncomingMessage, url: URL, port: number): { token: string | null; fromQuery: boolean } {
  const q = url.searchParams.get('token');
  if (q) return { token: q, fromQuery: true };
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), fromQuery: false };
  const name = cookieName(port);
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return { token: decodeURIComponent(v.join('=')), fromQuery: false };
  }
  return { token: null, fromQuery: false };
}

function hostAllowed(req: http.IncomingMessage, port: number): boolean {
  const host = (req.headers.host ?? '').toLowerCase();
  return LOOPBACK_HOSTS.some((h) => host === `${h.includes(':') ? `[${h}]` : h}:${port}`);
}

function originAllowed(req: http.IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  return LOOPBACK_HOSTS.some((h) => origin.toLowerCase() === `http://${h.includes(':') ? `[${h}]` : h}:${port}`);
}

function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(port),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, error: AppError, headers: Record<string, string>, html: boolean): void {
  if (!html) return sendJson(res, status, { error }, headers);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>NetSprout</title></head><body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5"><h1>NetSprout</h1><p>${esc(error.message)}</p><p>${esc(error.hint)}</p></body></html>`;
  res.writeHead(status, { ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(page) });
  res.end(page);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error('too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const TOKEN_REQUIRED: AppError = {
  code: 'TOKEN_REQUIRED',
  message: 'This NetSprout server only answers requests that carry its access token.',
  hint: 'Open the address that `netsprout serve` printed, with its ?token=… part.',
  files: [],
};

async function serveStatic(res: http.ServerResponse, rendererDir: string, pathname: string, headers: Record<string, string>): Promise<void> {
  const index = path.join(rendererDir, 'index.html');
  if (!existsSync(index)) {
    return sendError(res, 503, { code: 'UI_NOT_BUILT', message: `The NetSprout user interface has not been built: ${index} is missing.`, hint: 'Run `npm run build:renderer` (or start with `npm run serve`, which builds it first), then reload this page.', files: [index] }, headers, true);
  }
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return sendError(res, 400, { code: 'BAD_PATH', message: 'That address is not valid.', hint: '', files: [] }, headers, true);
  }
  const file = rel === '/' || rel === '' ? index : path.resolve(rendererDir, `.${rel}`);
  const inside = path.relative(rendererDir, file);
  if (inside.startsWith('..') || path.isAbsolute(inside) || !existsSync(file) || !statSync(file).isFile()) {
    return sendError(res, 404, { code: 'NOT_FOUND', message: `${rel} is not part of NetSprout.`, hint: 'Go to the start page.', files: [] }, headers, true);
  }
  const body = await readFile(file);
  res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': body.length, 'Cache-Control': file === index ? 'no-store' : 'no-cache' });
  res.end(body);
}

export async function startAppServer(opts: AppServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!(LOOPBACK_HOSTS as readonly string[]).includes(host)) throw new Error(`refusing to listen on ${host}: only the loopback interface (127.0.0.1) is allowed`);
  let port = opts.port ?? 0;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((e) => {
      process.stderr.write(`netsprout: ${(e as Error).stack ?? e}\n`);
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'APP_FAILED', message: 'The server failed to answer.', hint: 'This is a bug in NetSprout.', files: [] } });
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const headers = securityHeaders(port);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const wantsHtml = req.method === 'GET' && !url.pathname.startsWith(SERVE_API_PREFIX) && (req.headers.accept ?? '').includes('text/html');
    if (!hostAllowed(req, port)) {
      return sendError(res, 403, { code: 'HOST_REFUSED', message: `This server answers only as 127.0.0.1:${port}, not as "${req.headers.host ?? ''}".`, hint: `Open http://127.0.0.1:${port}/ with the token.`, files: [] }, headers, wantsHtml);
    }
    const { token, fromQuery } = tokenFrom(req, url, port);
    if (!sameToken(token, opts.token)) return sendError(res, 401, TOKEN_REQUIRED, headers, wantsHtml);
    if (fromQuery) headers['Set-Cookie'] = `${cookieName(port)}=${encodeURIComponent(opts.token)}; HttpOnly; SameSite=Strict; Path=/`;
    if (url.pathname.startsWith(SERVE_API_PREFIX)) {
      if (req.method !== 'POST') return sendError(res, 405, { code: 'API_METHOD', message: 'Calls are made with POST.', hint: `POST ${SERVE_API_PREFIX}<call> with a JSON array of arguments.`, files: [] }, { ...headers, Allow: 'POST' }, false);
      if (!originAllowed(req, port)) return sendError(res, 403, { code: 'ORIGIN_REFUSED', message: 'Calls from another web site are refused.', hint: '', files: [] }, headers, false);
      if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
        return sendError(res, 415, { code: 'API_CONTENT_TYPE', message: 'Calls must be sent as JSON.', hint: 'Set the header Content-Type: application/json.', files: [] }, headers, false);
      }
      let args: unknown;
      try {
        const body = await readBody(req);
        args = body.length ? JSON.parse(body.toString('utf8')) : [];
      } catch (e) {
        const tooLarge = (e as { status?: number }).status === 413;
        return sendError(res, tooLarge ? 413 : 400, tooLarge ? { code: 'API_TOO_LARGE', message: `The request is larger than ${MAX_BODY_BYTES / 2 ** 20} MB.`, hint: 'Send a smaller file.', files: [] } : { code: 'API_BAD_JSON', message: 'The request body is not valid JSON.', hint: 'Send the arguments as a JSON array.', files: [] }, headers, false);
      }
      const out = await dispatch(opts.api, url.pathname.slice(SERVE_API_PREFIX.length), args);
      return out.ok ? sendJson(res, 200, out.value, headers) : sendError(res, out.status, out.error, headers, false);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, { code: 'METHOD', message: 'Only GET is served here.', hint: '', files: [] }, { ...headers, Allow: 'GET' }, false);
    return serveStatic(res, opts.rendererDir, url.pathname, headers);
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!hostAllowed(req, port) || !originAllowed(req, port)) return refuse('403 Forbidden');
    if (!sameToken(tokenFrom(req, url, port).token, opts.token)) return refuse('401 Unauthorized');
    if (url.pathname !== SERVE_EVENTS_PATH) return refuse('404 Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const alive = new WeakMap<WebSocket, boolean>();
  wss.on('connection', (ws: WebSocket) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    const unsubscribe = opts.api.onEvent((e) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(e));
    });
    ws.on('close', unsubscribe);
    ws.on('error', unsubscribe);
    // The events socket is one-way; anything the page sends is ignored.
  });
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) ws.terminate();
      else {
        alive.set(ws, false);
        ws.ping();
      }
    }
  }, 30_000);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host === 'localhost' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port,
    host,
    url: `http://${shownHost}:${port}/?token=${opts.token}`,
    close: async () => {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
