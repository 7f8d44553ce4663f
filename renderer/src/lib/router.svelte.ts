/**
 * A small hash router: the address after `#` names the screen (`#/job/<id>/results?c=<candidate>`). The part
 * before it (with `?token=` in a browser) never changes, so the token stays with the page.
 */
export interface Route {
  name: 'projects' | 'wizard' | 'project' | 'job' | 'results' | 'compare' | 'notFound';
  params: Record<string, string>;
  query: URLSearchParams;
}

const patterns: Array<[RegExp, Route['name'], string[]]> = [
  [/^\/?$/, 'projects', []],
  [/^\/new$/, 'wizard', []],
  [/^\/project\/([^/]+)\/new$/, 'wizard', ['projectId']],
  [/^\/project\/([^/]+)$/, 'project', ['projectId']],
  [/^\/job\/([^/]+)$/, 'job', ['jobId']],
  [/^\/job\/([^/]+)\/results$/, 'results', ['jobId']],
  [/^\/job\/([^/]+)\/compare$/, 'compare', ['jobId']],
];

function parse(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [path, qs = ''] = raw.split('?');
  for (const [re, name, keys] of patterns) {
    const m = re.exec(path);
    if (m) return { name, params: Object.fromEntries(keys.map((k, i) => [k, decodeURIComponent(m[i + 1])])), query: new URLSearchParams(qs) };
  }
  return { name: 'notFound', params: {}, query: new URLSearchParams(qs) };
}

export const router = $state({ route: parse(window.location.hash) });

window.addEventListener('hashchange', () => {
  router.route = parse(window.location.hash);
  window.scrollTo(0, 0);
});

export function navigate(path: string): void {
  const hash = `#${path}`;
  if (window.location.hash === hash) router.route = parse(hash);
  else window.location.hash = hash;
}

export function href(path: string): string {
  return `#${path}`;
}
