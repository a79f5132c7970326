// The UI keeps one type scale and two weights (app.css). On Linux, WebKitGTK resolves every
// distinct family, size and weight on a page through fontconfig at first paint, so each new size
// or weight makes the app start slower (scripts/bench-app). This keeps new styles on the scale.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '..');

function styleFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return styleFiles(path);
    return /\.(svelte|css)$/.test(name) ? [path] : [];
  });
}

function declarations(property: string): { file: string; value: string }[] {
  const re = new RegExp(`(?:^|[;{\\s])${property}:\\s*([^;}]+)`, 'g');
  return styleFiles(SRC).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(re)].map((m) => ({ file: file.slice(SRC.length + 1), value: m[1].trim() })),
  );
}

describe('type scale', () => {
  it('finds the style files', () => {
    expect(styleFiles(SRC).length).toBeGreaterThan(10);
    expect(declarations('font-size').length).toBeGreaterThan(50);
  });

  it('every font size is a step of the scale (or relative, for inline code)', () => {
    const off = declarations('font-size').filter(
      (d) => !/^var\(--fs-[a-z0-9]+\)$/.test(d.value) && !/^(inherit|[0-9.]+em|14px)$/.test(d.value),
    );
    expect(off).toEqual([]);
  });

  it('every font weight is 400 or 600', () => {
    const off = declarations('font-weight').filter((d) => !/^(400|600|inherit|normal)$/.test(d.value));
    expect(off).toEqual([]);
  });

  it('the scale has the steps the components use', () => {
    const css = readFileSync(join(SRC, 'app.css'), 'utf8');
    const defined = new Set([...css.matchAll(/--fs-([a-z0-9]+):/g)].map((m) => m[1]));
    const used = new Set(
      declarations('font-size').flatMap((d) => [...d.value.matchAll(/--fs-([a-z0-9]+)/g)].map((m) => m[1])),
    );
    expect([...used].filter((u) => !defined.has(u))).toEqual([]);
  });
});
