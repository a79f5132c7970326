// A Svelte action that places a floating element (position: fixed) near a point on screen, kept
// inside the window. It sets the position through the CSSOM (element.style), which the app's
// Content-Security-Policy allows, rather than through a style attribute.

export interface Point {
  x: number;
  y: number;
}

/** Where to put a box of size w×h near point p so that it stays within a viewport vw×vh. */
export function clampToViewport(p: Point, w: number, h: number, vw: number, vh: number, margin = 8): Point {
  let x = p.x;
  let y = p.y + margin;
  if (x + w + margin > vw) x = vw - w - margin;
  if (y + h + margin > vh) y = Math.max(margin, p.y - h - 3 * margin);
  return { x: Math.max(margin, x), y: Math.max(margin, y) };
}

export function place(node: HTMLElement, p: Point) {
  function apply(at: Point) {
    const r = node.getBoundingClientRect();
    const q = clampToViewport(at, r.width, r.height, window.innerWidth, window.innerHeight);
    node.style.setProperty('left', `${q.x}px`);
    node.style.setProperty('top', `${q.y}px`);
  }
  let at = p;
  apply(at);
  // Re-place when the element grows (an error appears) or the window changes size.
  const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => apply(at));
  ro?.observe(node);
  const onResize = () => apply(at);
  window.addEventListener('resize', onResize);
  return {
    update(next: Point) {
      at = next;
      apply(at);
    },
    destroy() {
      ro?.disconnect();
      window.removeEventListener('resize', onResize);
    },
  };
}
