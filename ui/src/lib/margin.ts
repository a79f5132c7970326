// Placing margin cards beside their wording: each card wants to sit level with its mark; cards
// that would overlap are pushed down, in the order of their wording. Pure.

export interface CardBox {
  id: string;
  /** Where the card would like its top (the mark's top), in pixels. */
  want: number;
  /** The card's measured height. */
  height: number;
}

/** Each card's top, in pixels, so that no two overlap and none sits above where it wants to be. */
export function layoutCards(cards: readonly CardBox[], gap = 8): Map<string, number> {
  const order = cards
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.want - b.c.want || a.i - b.i);
  const out = new Map<string, number>();
  let floor = -Infinity;
  for (const { c } of order) {
    const top = Math.max(c.want, floor);
    out.set(c.id, top);
    floor = top + c.height + gap;
  }
  return out;
}

/** The height the margin needs to hold every card. */
export function marginHeight(cards: readonly CardBox[], tops: Map<string, number>): number {
  let h = 0;
  for (const c of cards) h = Math.max(h, (tops.get(c.id) ?? 0) + c.height);
  return h;
}
