// WCAG 2.2 AA for the palette: 4.5:1 for every text pair the CSS uses, 3:1 for
// focus rings and outlines; the stylesheet uses exactly the palette's values
// and touch targets of at least 48 px.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contrastRatio, MIN_TARGET_PX, NON_TEXT_PAIRS, PALETTE, TEXT_PAIRS } from '../../../renderer/src/a11y/palette';

const css = readFileSync(new URL('../../../renderer/src/styles.css', import.meta.url), 'utf8');

describe('contrast', () => {
  it('computes WCAG ratios (black on white 21:1, white on white 1:1, #767676 on white ≈ 4.54)', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1);
    expect(contrastRatio('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
  });

  it.each(TEXT_PAIRS)('text %s on %s is at least 4.5:1', (fg, bg) => {
    expect(contrastRatio(PALETTE[fg], PALETTE[bg])).toBeGreaterThanOrEqual(4.5);
  });

  it.each(NON_TEXT_PAIRS)('outline %s on %s is at least 3:1', (fg, bg) => {
    expect(contrastRatio(PALETTE[fg], PALETTE[bg])).toBeGreaterThanOrEqual(3);
  });

  it('the stylesheet declares every palette colour with the same value', () => {
    for (const [name, value] of Object.entries(PALETTE)) {
      expect(css).toContain(`--color-${name.replace(/_/g, '-')}: ${value};`);
    }
    expect([...css.matchAll(/#[0-9a-f]{3,8}\b/gi)].map((m) => m[0].toLowerCase()).filter((c) => !Object.values(PALETTE).includes(c as never))).toEqual([]);
  });

  it('touch targets are at least 48 px (64 in the CSS)', () => {
    expect(MIN_TARGET_PX).toBeGreaterThanOrEqual(48);
    expect(css).toContain(`--target: ${MIN_TARGET_PX}px;`);
    expect(css).toMatch(/\.btn \{[^}]*min-height: var\(--target\)/);
  });

  it('has a portrait and a landscape layout', () => {
    expect(css).toContain('@media (orientation: portrait)');
    expect(css).toContain('@media (orientation: landscape)');
  });
});
