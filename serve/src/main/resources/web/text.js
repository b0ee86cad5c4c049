// Text explanations on the page: the highlighted text of a result whose data carries tokens
// (a {"text": ...} instance of a model whose card names a tokenizer). Each token (or word, with
// the "per word" choice) is a span over its part of the original text (UTF-16 offsets from the
// server), coloured on the page's colour map with the same scale rules as the heatmaps (the
// limit is the 99.5th percentile of |values| of the text, per method or shared); special tokens
// ([CLS], [SEP]) are shown as small chips before and after. Every span is focusable: hover, focus
// or the arrow keys show its value in the readout under the text.

/** A small element builder (attributes; 'text' sets the text content). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  e.append(...children);
  return e;
}

/** 'tokens' or 'words': the view control's choice. */
export function textUnits() {
  const s = document.getElementById('text-units');
  return s && s.value === 'words' ? 'words' : 'tokens';
}

/** Whether an explanation is of a text instance (its data carries tokens). */
export function isTextResult(explanation) {
  return Boolean(explanation && explanation.data && Array.isArray(explanation.data.tokens));
}

/**
 * The map drawn for a text explanation: per token (or per word) the server's value (absolute
 * values for the absolute mode), with each item's span in the text.
 */
export function textMap(explanation, mode) {
  const d = explanation.data;
  const units = textUnits();
  const list = units === 'words' ? d.words : d.tokens;
  const items = list.map((t, i) => ({
    index: i,
    label: units === 'words' ? t.text : t.token,
    start: t.start_utf16,
    end: t.end_utf16,
    special: Boolean(t.special),
  }));
  const values = Float64Array.from(list.map((t) => (mode === 'absolute' ? Math.abs(t.value) : t.value)));
  return { type: 'text', units, text: d.text, items, values };
}

/** The highlighted text, a readout, for one map; fmt formats a value as the page does. */
export function textView(map, scale, fmt) {
  const p = el('p', { class: 'text-highlight', 'data-units': map.units });
  const readout = el('p', { class: 'readout', 'aria-live': 'polite', text: 'Point at or tab to a token to read its value.' });
  const spans = [];
  const show = (item, value) => {
    readout.textContent = `${map.units === 'words' ? 'word' : 'token'} ${item.index} “${item.label}”: ${fmt(value)}`;
    readout.dataset.index = String(item.index);
    readout.dataset.value = String(value);
  };
  const span = (item, text, extra) => {
    const value = map.values[item.index];
    const [r, g, b] = scale.color(value);
    const strong = Math.abs(scale.normalize(value)) > 0.6;
    const s = el('span', {
      class: extra ? `tok ${extra}` : 'tok',
      tabindex: '0',
      style: `background-color: rgb(${r}, ${g}, ${b}); color: ${strong ? '#fff' : '#000'}`,
      title: `${item.label}: ${fmt(value)}`,
      'aria-label': `${item.label}: ${fmt(value)}`,
      'data-index': String(item.index),
      'data-value': String(value),
      text,
    });
    s.addEventListener('mouseenter', () => show(item, value));
    s.addEventListener('focus', () => show(item, value));
    s.addEventListener('keydown', (ev) => {
      const k = spans.indexOf(s);
      const next = ev.key === 'ArrowRight' ? k + 1 : ev.key === 'ArrowLeft' ? k - 1 : -1;
      if (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft') return;
      ev.preventDefault();
      if (next >= 0 && next < spans.length) spans[next].focus();
    });
    spans.push(s);
    return s;
  };
  const text = map.text || '';
  const inText = map.items.filter((it) => !it.special && it.start >= 0 && it.end >= it.start);
  const first = inText.length ? inText[0].index : Infinity;
  const before = map.items.filter((it) => (it.special || it.start < 0) && it.index < first);
  const after = map.items.filter((it) => (it.special || it.start < 0) && it.index > first);
  for (const it of before) p.append(span(it, it.label, 'special'), ' ');
  let cursor = 0;
  for (const it of inText) {
    if (it.start >= cursor) {
      if (it.start > cursor) p.append(text.slice(cursor, it.start));
      p.append(span(it, text.slice(it.start, it.end)));
      cursor = it.end;
    } else {
      p.append(span(it, it.label, 'overlap')); // a token sharing characters with the previous one
    }
  }
  if (cursor < text.length) p.append(text.slice(cursor));
  for (const it of after) p.append(' ', span(it, it.label, 'special'));
  return el('div', { class: 'text-view' }, p, readout);
}

/** Calls onChange when the per-token/per-word choice changes. */
export function wireTextView(onChange) {
  const s = document.getElementById('text-units');
  if (s) s.addEventListener('change', () => onChange());
}
