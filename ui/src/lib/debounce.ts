// A trailing-edge debounce: many calls within `ms` become one call, `ms` after the last.

export interface Debounced {
  (): void;
  /** Run now if a call is pending. */
  flush(): void;
  /** Forget a pending call. */
  cancel(): void;
}

export function debounce(fn: () => void, ms: number): Debounced {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fire = () => {
    timer = null;
    fn();
  };
  const d = (() => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(fire, ms);
  }) as Debounced;
  d.flush = () => {
    if (timer !== null) {
      clearTimeout(timer);
      fire();
    }
  };
  d.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return d;
}
