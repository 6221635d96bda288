import { useCallback, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";

/**
 * A few pages do not need a router library: the History API, a change event, and links that
 * keep the browser's own behaviour for modifier clicks (new tab, new window).
 */
const CHANGE = "app:navigate";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  window.history[opts.replace ? "replaceState" : "pushState"](null, "", to);
  window.dispatchEvent(new Event(CHANGE));
}

export const usePath = () => useSyncExternalStore(subscribe, () => window.location.pathname);

/** The query string as a record, and a setter that replaces it (filters are not history steps). */
export function useSearchParams(): [URLSearchParams, (next: Record<string, string | undefined>) => void] {
  const search = useSyncExternalStore(subscribe, () => window.location.search);
  const update = useCallback((next: Record<string, string | undefined>) => {
    const params = new URLSearchParams(window.location.search);
    for (const [key, value] of Object.entries(next)) {
      if (value === undefined || value === "") params.delete(key);
      else params.set(key, value);
    }
    const query = params.toString();
    navigate(`${window.location.pathname}${query ? `?${query}` : ""}`, { replace: true });
  }, []);
  return [new URLSearchParams(search), update];
}

export function Link({ to, onClick, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const current = usePath() === to;
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={click} aria-current={current ? "page" : undefined} {...rest} />;
}
