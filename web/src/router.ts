import { useEffect, useState } from 'preact/hooks';

/** History routing under /admin: /admin/security, /admin/incidents/<id>, …; Vigil answers index.html for each. */
export const BASE = '/admin';

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((fn) => fn()));

/** The path below /admin, without leading or trailing slashes ('' for the overview). */
export function currentRoute(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return path.replace(/^\/+|\/+$/g, '');
}

export function navigate(route: string, replace = false): void {
  const url = `${BASE}/${route}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((fn) => fn());
  window.scrollTo(0, 0);
}

export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const fn = () => setRoute(currentRoute());
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return route;
}

/** A click on an in-app link: route without a page load (modified clicks open tabs as usual). */
export function onLinkClick(event: MouseEvent, route: string): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(route);
}
