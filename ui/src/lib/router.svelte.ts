// A minimal hash router: `#/path?query`. The query carries view state (filters, the open
// invoice), so every view is linkable and the browser's back button walks through filter changes.

export interface Route {
  path: string;
  params: URLSearchParams;
}

function parse(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/invoices';
  const [path = '/invoices', query = ''] = raw.split('?', 2);
  return { path: path.startsWith('/') ? path : `/${path}`, params: new URLSearchParams(query) };
}

const current = $state<{ route: Route }>({ route: parse(typeof location === 'undefined' ? '' : location.hash) });

export function route(): Route {
  return current.route;
}

/** Re-reads `location.hash`; called on `hashchange` (and by tests after they set the hash). */
export function syncFromLocation(): void {
  current.route = parse(location.hash);
}

export function href(path: string, params?: URLSearchParams | Record<string, string>): string {
  const query = params instanceof URLSearchParams ? params.toString() : new URLSearchParams(params ?? {}).toString();
  return `#${path}${query ? `?${query}` : ''}`;
}

/**
 * Moves to a path/query. `replace` rewrites the current history entry (typing in a search box)
 * instead of adding one (clicking a filter chip), so Back undoes deliberate steps only.
 */
export function navigate(path: string, params?: URLSearchParams, options: { replace?: boolean } = {}): void {
  const target = href(path, params);
  if (location.hash === target) return;
  if (options.replace) history.replaceState(history.state, '', target);
  else history.pushState(history.state, '', target);
  syncFromLocation();
}

/**
 * Shows a route the shell asked for (a clicked desktop notification: `#/invoices?states=…`).
 * Only in-app hash routes are followed; anything else is ignored. Returns whether it moved.
 */
export function openRoute(target: string): boolean {
  if (!target.startsWith('#/')) return false;
  const next = parse(target);
  navigate(next.path, next.params);
  return location.hash === href(next.path, next.params);
}

export function startRouter(): () => void {
  const onChange = () => syncFromLocation();
  window.addEventListener('hashchange', onChange);
  window.addEventListener('popstate', onChange);
  syncFromLocation();
  return () => {
    window.removeEventListener('hashchange', onChange);
    window.removeEventListener('popstate', onChange);
  };
}
