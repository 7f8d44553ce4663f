/**
 * AppApi over HTTP and WebSocket, for the UI served by `netsprout serve` (main/common/appApi.ts states the binding):
 * every call is `POST /api/<method>` with the JSON array of its arguments, answered 200 with the value or another
 * status with `{"error": AppError}`; every pushed event is a JSON message on the `/events` WebSocket. The access
 * token comes from the page's address (`?token=...`, as printed by `netsprout serve`); the server also sets it as a
 * cookie on that first request, so a page opened again without it still works, and one never given it is refused.
 */
import type { AppApi, AppApiMethod, AppEvent } from '../../../../main/common/appApi';
import { AppCallError, toAppError } from './appError';
import { APP_API_METHODS } from './methods';

export type ConnectionState = 'connecting' | 'open' | 'lost';

export interface HttpBindingOptions {
  /** From the page's address; null when it has none (the server's cookie may still carry it). */
  token: string | null;
  /** The server's origin; the page's own by default. */
  origin?: string;
  onConnection?: (state: ConnectionState) => void;
}

/** Whether an error code means "the address is missing its token or has a wrong one" (HTTP 401/403). */
export function isAccessRefused(code: string): boolean {
  return /TOKEN|UNAUTHORI[SZ]ED|FORBIDDEN/.test(code);
}

async function call(opts: HttpBindingOptions, method: AppApiMethod, args: unknown[]): Promise<unknown> {
  // JSON has no `undefined`: trailing missing arguments are left out, others sent as null.
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  const body = JSON.stringify(args.slice(0, n).map((a) => (a === undefined ? null : a)));
  const origin = opts.origin ?? window.location.origin;
  const query = opts.token ? `?token=${encodeURIComponent(opts.token)}` : '';
  let res: Response;
  try {
    res = await fetch(`${origin}/api/${method}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      credentials: 'same-origin',
      body,
    });
  } catch {
    throw new AppCallError({
      code: 'SERVER_UNREACHABLE',
      message: 'The NetSprout server does not answer.',
      hint: 'Check that `netsprout serve` is still running in its terminal; start it again and open the address it prints.',
      files: [],
    }, method);
  }
  const text = await res.text();
  let payload: unknown = undefined;
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text;
    }
  }
  if (!res.ok) {
    if (res.status === 401 || res.status === 403) {
      const info = typeof payload === 'object' && payload !== null ? toAppError(payload, method) : null;
      throw new AppCallError({
        code: info && isAccessRefused(info.code) ? info.code : 'TOKEN_REQUIRED',
        message: info?.message ?? 'The server refused the request: this address has no valid access token.',
        hint: info?.hint || 'Open the full address that `netsprout serve` printed, including ?token=…',
        files: [],
      }, method);
    }
    if (typeof payload === 'object' && payload !== null) throw toAppError(payload, method);
    throw new AppCallError({ code: `HTTP_${res.status}`, message: `The server answered ${res.status} ${res.statusText} to ${method}.`, hint: typeof payload === 'string' ? payload.slice(0, 300) : '', files: [] }, method);
  }
  return payload;
}

/** A WebSocket that reconnects (with growing pauses) until closed, and reports its state. */
function eventStream(opts: HttpBindingOptions, deliver: (e: AppEvent) => void): () => void {
  let socket: WebSocket | null = null;
  let closed = false;
  let retry = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const origin = opts.origin ?? window.location.origin;
  const url = `${origin.replace(/^http/, 'ws')}/events${opts.token ? `?token=${encodeURIComponent(opts.token)}` : ''}`;

  const open = (): void => {
    if (closed) return;
    opts.onConnection?.('connecting');
    socket = new WebSocket(url);
    socket.onopen = () => {
      retry = 0;
      opts.onConnection?.('open');
    };
    socket.onmessage = (m) => {
      try {
        deliver(JSON.parse(String(m.data)) as AppEvent);
      } catch {
        /* a malformed message is dropped; the next poll catches up */
      }
    };
    socket.onclose = () => {
      socket = null;
      if (closed) return;
      opts.onConnection?.('lost');
      retry = Math.min(retry + 1, 6);
      timer = setTimeout(open, 500 * 2 ** (retry - 1));
    };
  };
  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    socket?.close();
  };
}

export function createHttpBinding(opts: HttpBindingOptions): AppApi {
  const listeners = new Set<(e: AppEvent) => void>();
  let stop: (() => void) | null = null;
  const methods = Object.fromEntries(APP_API_METHODS.map((m) => [m, (...args: unknown[]) => call(opts, m, args)]));
  return {
    ...(methods as unknown as Omit<AppApi, 'onEvent'>),
    onEvent(listener) {
      listeners.add(listener);
      stop ??= eventStream(opts, (e) => listeners.forEach((l) => l(e)));
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && stop) {
          stop();
          stop = null;
        }
      };
    },
  };
}
