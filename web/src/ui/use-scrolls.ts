import { useLayoutEffect, useState, type RefObject } from "react";

/**
 * Whether the element's content is larger than its box, so that it scrolls. A region that scrolls
 * must take the keyboard focus (arrow keys scroll it; axe: scrollable-region-focusable), and one
 * that does not should not add a Tab stop. Re-checked after each render and whenever the element
 * or one of its children changes size (a list or an alert that appears inside it).
 */
export function useScrolls(ref: RefObject<HTMLElement | null>): boolean {
  const [scrolls, setScrolls] = useState(false);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const check = () => setScrolls(element.scrollHeight > element.clientHeight || element.scrollWidth > element.clientWidth);
    const observer = new ResizeObserver(check);
    observer.observe(element);
    for (const child of element.children) observer.observe(child);
    return () => observer.disconnect();
  });
  return scrolls;
}
