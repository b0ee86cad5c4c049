// Colour maps for attribution pictures. The red-blue map is the reports' diverging map
// (viz ColorMap.diverging(): ColorBrewer RdBu, piecewise-linear in sRGB between evenly spaced
// stops) with its sequential companion for magnitudes (ColorBrewer Reds), so a picture here
// reads like the same picture in an HTML report. The other two are for readers who cannot
// tell red from green reliably: blue-orange (ColorBrewer Blues and Oranges meeting at the same
// neutral #f7f7f7) and a cividis-like ramp (dark blue to yellow, monotone lightness; stops
// sampled from cividis, Nunez et al. 2018), which stay distinct under deuteranopia and
// protanopia.

const hex = (s) => s.map((h) => [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)]);

const RDBU = hex(['053061', '2166ac', '4393c3', '92c5de', 'd1e5f0', 'f7f7f7',
  'fddbc7', 'f4a582', 'd6604d', 'b2182b', '67001f']);
const REDS = hex(['fff5f0', 'fee0d2', 'fcbba1', 'fc9272', 'fb6a4a', 'ef3b2c', 'cb181d', 'a50f15', '67000d']);
const BLUE_ORANGE = hex(['08306b', '08519c', '2171b5', '4292c6', '6baed6', '9ecae1', 'c6dbef', 'deebf7', 'f7f7f7',
  'fee6ce', 'fdd0a2', 'fdae6b', 'fd8d3c', 'f16913', 'd94801', 'a63603', '7f2704']);
const ORANGES = hex(['fff5eb', 'fee6ce', 'fdd0a2', 'fdae6b', 'fd8d3c', 'f16913', 'd94801', 'a63603', '7f2704']);
const CIVIDIS = hex(['00224e', '123570', '3b496c', '575d6d', '707173', '8a8678', 'a59c74', 'c3b369', 'e1cc55', 'fee838']);

/** The maps offered: for each, the ramp for signed values and the one for magnitudes. */
export const COLOR_MAPS = {
  'red-blue': { label: 'red-blue (as the reports)', signed: RDBU, magnitude: REDS },
  'blue-orange': { label: 'blue-orange (colour-blind safe)', signed: BLUE_ORANGE, magnitude: ORANGES },
  cividis: { label: 'cividis-like (colour-blind safe)', signed: CIVIDIS, magnitude: CIVIDIS },
};

/** [r, g, b] at t in [0, 1] on the stops (clamped; NaN gives the neutral point). */
export function rampColor(stops, t, neutral) {
  const u = Number.isNaN(t) ? neutral : Math.max(0, Math.min(1, t));
  const x = u * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f));
}

/**
 * A scale: how a value becomes a colour. mode 'signed' maps [-limit, limit] onto the whole
 * signed ramp (zero in the middle); 'absolute' maps |v| in [0, limit] onto the magnitude ramp.
 * Values beyond the limit are clipped, as in viz Scale.normalize.
 */
export function makeScale(mode, limit, mapName) {
  const map = COLOR_MAPS[mapName] || COLOR_MAPS['red-blue'];
  const signed = mode === 'signed';
  const stops = signed ? map.signed : map.magnitude;
  const normalize = (v) => {
    const x = signed ? v : Math.abs(v);
    if (!(limit > 0) || Number.isNaN(x)) return 0;
    return Math.max(signed ? -1 : 0, Math.min(1, x / limit));
  };
  const position = (v) => (signed ? (normalize(v) + 1) / 2 : normalize(v));
  return {
    mode, limit, mapName, stops, normalize,
    color: (v) => rampColor(stops, position(v), signed ? 0.5 : 0),
  };
}

/**
 * The limit of a set of maps: the clip-th percentile of |v| (or of v's part shown) over their
 * finite values, linear interpolation between order statistics; the maximum when that is 0 but
 * some value is not (viz Normalization.limit).
 */
export function limitOf(arrays, clip = 99.5) {
  const m = [];
  let max = 0;
  for (const a of arrays) {
    for (const v of a) {
      const x = Math.abs(v);
      if (Number.isFinite(x)) {
        m.push(x);
        if (x > max) max = x;
      }
    }
  }
  if (m.length === 0) return 0;
  m.sort((p, q) => p - q);
  const rank = (clip / 100) * (m.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const p = m[lo] + (m[hi] - m[lo]) * (rank - lo);
  return p > 0 ? p : max;
}
