// The UI's colours, and the WCAG 2.x contrast ratio they are checked with
// (test/unit/renderer/contrast.test.ts): text pairs need 4.5:1 (AA), large
// text and control outlines 3:1. The CSS takes these values as custom
// properties (see theme.ts), so there is one source.

export const PALETTE = {
  background: '#ffffff',
  surface: '#f1f4f8',
  text: '#111827',
  muted: '#374151',
  primary: '#0b4f9c',
  on_primary: '#ffffff',
  secondary_border: '#0b4f9c',
  danger: '#a4161a',
  on_danger: '#ffffff',
  success: '#17603a',
  on_success: '#ffffff',
  notice_bg: '#fff4d6',
  notice_text: '#3d2a00',
  focus: '#b45309',
  dialog_backdrop_text: '#111827',
} as const;

export type PaletteColour = keyof typeof PALETTE;

/** Foreground/background pairs the CSS uses for text. */
export const TEXT_PAIRS: readonly [PaletteColour, PaletteColour][] = [
  ['text', 'background'],
  ['text', 'surface'],
  ['muted', 'background'],
  ['muted', 'surface'],
  ['on_primary', 'primary'],
  ['primary', 'background'],
  ['primary', 'surface'],
  ['on_danger', 'danger'],
  ['danger', 'background'],
  ['on_success', 'success'],
  ['success', 'background'],
  ['notice_text', 'notice_bg'],
];

/** Non-text: the focus ring and button outlines against what they sit on (WCAG 1.4.11, 3:1). */
export const NON_TEXT_PAIRS: readonly [PaletteColour, PaletteColour][] = [
  ['focus', 'background'],
  ['focus', 'surface'],
  ['secondary_border', 'background'],
];

function channel(c: number): number {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/** Relative luminance of `#rrggbb` (WCAG 2.x definition). */
export function luminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  const [r, g, b] = [m[1]!, m[2]!, m[3]!].map((h) => channel(parseInt(h, 16))) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Smallest touch target in CSS pixels (WCAG 2.5.8 asks 24, the brief 48; we use 64). */
export const MIN_TARGET_PX = 64;
