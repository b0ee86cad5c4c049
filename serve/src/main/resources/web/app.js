// explain4j web UI: plain ES module, no build step, no dependencies. Talks to the routes of
// the same server (KServe V1 style, see /openapi.json): /v1/models, /v1/methods, /v1/metrics,
// :predict, /v1/jobs (start, poll, cancel, result files).
import { COLOR_MAPS, makeScale, limitOf } from './colormaps.js';
import { isTextResult, textMap, textView, wireTextView } from './text.js';
import { multiInputForm } from './inputs.js';

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
};

const state = {
  catalogue: null, // GET /v1/methods
  metrics: null, // GET /v1/metrics (optional)
  evaluateRoute: null, // a path template with {model} when the server scores attributions
  models: [],
  model: null, // MODEL of the contract
  kind: 'image', // image | tabular | text | npy
  instances: [], // INSTANCE objects sent to the server
  display: null, // what to draw under heatmaps: {type:'image', source, w, h} | {type:'table', names, rows} | {type:'text', text}
  instanceIndex: 0,
  predictions: null,
  cards: [], // one per started job
  runId: 0,
};

// ---------- HTTP ----------

class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// A server started with a token wants 'Authorization: Bearer TOKEN' on /v1 routes; the page asks
// for it once (on a 401) and keeps it for this tab only (sessionStorage).
function authHeaders() {
  const t = sessionStorage.getItem('explain4j-token');
  return t ? { Authorization: `Bearer ${t}` } : {};
}

async function api(path, options = {}) {
  const init = { ...options, headers: { Accept: 'application/json', ...authHeaders(), ...(options.headers || {}) } };
  if (options.json !== undefined) {
    init.method = init.method || 'POST';
    init.body = JSON.stringify(options.json);
    init.headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (e) {
    body = null;
  }
  if (response.status === 401) askForToken();
  if (!response.ok) {
    const message = body && body.error ? body.error.message || JSON.stringify(body.error) : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, body);
  }
  return { body, response };
}

function askForToken() {
  const form = $('token-form');
  if (!form.hidden) return;
  form.hidden = false;
  $('token').focus();
}

function wireToken() {
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem('explain4j-token', $('token').value.trim());
    window.location.reload();
  });
}

/**
 * A result file. Files are fetched and saved from a blob, so they are named after the method
 * (the server's Content-Disposition names every .npy attribution-K.npy) and carry the token when
 * there is one; a report opens in a new tab (fetched the same way only with a token).
 */
function downloadLink(href, filename, cls, text, newTab = false) {
  const a = el('a', { href, download: newTab ? null : filename, class: cls, text, target: newTab ? '_blank' : null, rel: newTab ? 'noopener' : null });
  a.addEventListener('click', async (ev) => {
    const auth = authHeaders();
    if (newTab && !auth.Authorization) return; // the plain link works
    ev.preventDefault();
    const r = await fetch(href, { headers: auth });
    if (!r.ok) {
      setStatus(`${text}: ${r.status} ${r.statusText}`, true);
      return;
    }
    const url = URL.createObjectURL(await r.blob());
    const tmp = el('a', { href: url, download: newTab ? null : filename, target: newTab ? '_blank' : null });
    document.body.append(tmp);
    tmp.click();
    tmp.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  });
  return a;
}

function setStatus(message, isError = false) {
  const s = $('status');
  s.textContent = message;
  s.className = isError ? 'error' : '';
}

// ---------- start ----------

async function init() {
  $('cmap').append(...Object.entries(COLOR_MAPS).map(([k, v]) => el('option', { value: k, text: v.label })));
  wireInputs();
  wireView();
  wireTextView(() => renderAll());
  wireToken();
  $('run').addEventListener('click', () => runSelected());
  $('cancel-all').addEventListener('click', () => state.cards.forEach((c) => cancelCard(c)));
  $('target').addEventListener('change', () => markTarget());
  try {
    const [models, methods] = await Promise.all([api('/v1/models'), api('/v1/methods')]);
    state.models = models.body.models || [];
    state.catalogue = methods.body;
  } catch (e) {
    setStatus(`Cannot reach the server: ${e.message}`, true);
    return;
  }
  await discoverMetrics();
  const select = $('model');
  select.append(...state.models.map((m) => el('option', { value: m.name, text: m.name })));
  select.addEventListener('change', () => chooseModel(select.value));
  renderMethods();
  if (state.models.length === 0) {
    setStatus('The server has no models: start it with --models DIR holding .onnx files.', true);
    return;
  }
  await chooseModel(state.models[0].name);
  setStatus('Ready.');
  document.body.dataset.ready = 'true';
}

async function discoverMetrics() {
  const note = $('metric-note');
  try {
    state.metrics = (await api('/v1/metrics')).body;
  } catch (e) {
    state.metrics = null;
  }
  try {
    const spec = (await api('/openapi.json')).body;
    const paths = Object.keys((spec && spec.paths) || {});
    const p = paths.find((x) => /evaluate/.test(x) && x.includes('{'));
    state.evaluateRoute = p || null;
  } catch (e) {
    state.evaluateRoute = null;
  }
  const metric = $('metric');
  if (state.metrics && state.evaluateRoute) {
    metric.append(...state.metrics.metrics.map((m) => el('option', {
      value: m.name, text: `${m.name}${m.higher_is_better === false ? ' (lower is better)' : ''}`,
    })));
    metric.addEventListener('change', () => state.cards.forEach((c) => scoreCard(c)));
    note.textContent = '';
  } else {
    metric.disabled = true;
    note.textContent = 'Metric scores: this server has no evaluate route, so no scores are shown '
      + '(explain4j evaluate scores a downloaded .npy on the command line).';
  }
}

// ---------- model ----------

async function chooseModel(name) {
  $('model').value = name;
  try {
    state.model = (await api(`/v1/models/${encodeURIComponent(name)}`)).body;
  } catch (e) {
    setStatus(`Model ${name}: ${e.message}`, true);
    return;
  }
  const m = state.model;
  const card = m.card || {};
  const input = (m.inputs || [])[0] || {};
  const output = (m.outputs || [])[0] || {};
  $('model-info').textContent = `input ${input.name || '?'} ${shapeText(input.shape)} ${input.dtype || ''}; `
    + `output ${output.name || '?'} ${shapeText(output.shape)}`
    + (card.kind ? `; ${card.kind} model` : '') + (m.sha256 ? `; sha256 ${m.sha256.slice(0, 12)}…` : '');
  fillTargets();
  const kind = m.kind || card.kind || guessKind(input);
  selectTab(kind === 'tokens' ? 'text' : kind);
  fillLayerDefaults();
  suggestMethods(kind);
  clearInput();
  multiInputForm(m, { el, setInput, setStatus, parseNpy, toBase64 }); // several inputs: inputs.js
}

function shapeText(shape) {
  return shape ? `(${shape.map((d) => (d === null || d < 0 ? 'N' : d)).join(', ')})` : '';
}

function guessKind(input) {
  const rank = (input.shape || []).length;
  if (rank === 4) return 'image';
  if (input.dtype && /int/.test(input.dtype)) return 'text';
  return 'tabular';
}

function classCount() {
  const card = (state.model && state.model.card) || {};
  if (card.labels && card.labels.length) return card.labels.length;
  const out = ((state.model && state.model.outputs) || [])[0];
  const last = out && out.shape ? out.shape[out.shape.length - 1] : 0;
  return last > 0 ? last : 0;
}

function labelOf(k) {
  const labels = (state.model && state.model.card && state.model.card.labels) || [];
  return labels[k] !== undefined ? String(labels[k]) : `class ${k}`;
}

function fillTargets() {
  const t = $('target');
  t.replaceChildren(el('option', { value: '', text: 'the predicted class' }));
  for (let k = 0; k < classCount(); k++) t.append(el('option', { value: String(k), text: `${k}: ${labelOf(k)}` }));
}

/** The example shape (model input shape without the batch axis), or null when unknown. */
function exampleShape() {
  const input = ((state.model && state.model.inputs) || [])[0];
  if (!input || !input.shape) return null;
  return input.shape.slice(1);
}

// ---------- input ----------

function wireInputs() {
  for (const tab of document.querySelectorAll('[role=tab]')) {
    tab.addEventListener('click', () => selectTab(tab.dataset.kind));
    tab.addEventListener('keydown', (ev) => {
      const tabs = [...document.querySelectorAll('[role=tab]')];
      const i = tabs.indexOf(tab);
      const next = ev.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : ev.key === 'ArrowLeft' ? tabs[(i + tabs.length - 1) % tabs.length] : null;
      if (next) {
        ev.preventDefault();
        selectTab(next.dataset.kind);
        next.focus();
      }
    });
  }
  const drop = $('drop');
  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    const f = ev.dataTransfer.files[0];
    if (f) readFile(f);
  });
  $('file').addEventListener('change', () => {
    const f = $('file').files[0];
    if (f) readFile(f);
  });
  $('csv-use').addEventListener('click', () => useCsv($('csv-text').value));
  $('text-use').addEventListener('click', () => useText($('text-input').value));
  $('instance').addEventListener('change', () => {
    state.instanceIndex = Number($('instance').value);
    showInput();
    showPrediction();
    renderAll();
  });
}

function selectTab(kind) {
  state.kind = kind;
  for (const tab of document.querySelectorAll('[role=tab]')) {
    const on = tab.dataset.kind === kind;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute('aria-controls')).hidden = !on;
  }
}

function clearInput() {
  state.instances = [];
  state.display = null;
  state.predictions = null;
  state.instanceIndex = 0;
  $('input-view').replaceChildren();
  $('prediction').replaceChildren(el('p', { class: 'info', text: 'No input yet.' }));
  $('instance').hidden = true;
  $('instance-label').hidden = true;
}

async function readFile(file) {
  const name = file.name.toLowerCase();
  try {
    if (/\.(png|jpe?g)$/.test(name) || /^image\//.test(file.type)) {
      const bytes = await file.arrayBuffer();
      const format = /\.jpe?g$/.test(name) || file.type === 'image/jpeg' ? 'jpeg' : 'png';
      const image = await loadImage(URL.createObjectURL(file));
      selectTab('image');
      await setInput([{ b64: toBase64(bytes), format }], { type: 'image', source: image, name: file.name });
    } else if (name.endsWith('.csv')) {
      selectTab('tabular');
      $('csv-text').value = await file.text();
      await useCsv($('csv-text').value);
    } else if (name.endsWith('.npy')) {
      const bytes = await file.arrayBuffer();
      const npy = parseNpy(bytes);
      selectTab('npy');
      await setInput([{ b64: toBase64(bytes), format: 'npy' }], npyDisplay(npy, file.name));
    } else if (name.endsWith('.txt')) {
      selectTab('text');
      $('text-input').value = await file.text();
      await useText($('text-input').value);
    } else {
      setStatus(`${file.name}: unknown kind of file; give a PNG/JPEG image, a CSV table, an .npy tensor or a .txt text.`, true);
    }
  } catch (e) {
    setStatus(`${file.name}: ${e.message}`, true);
  }
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('not a readable image'));
    img.src = url;
  });
}

function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function parseCsv(text) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new Error('a CSV table needs a header line and at least one row');
  const names = lines[0].split(',').map((s) => s.trim());
  const rows = lines.slice(1).map((l, r) => {
    const cells = l.split(',').map((s) => s.trim());
    if (cells.length !== names.length) throw new Error(`row ${r + 1} has ${cells.length} values but the header names ${names.length} columns`);
    return cells;
  });
  return { names, rows, header: lines[0] };
}

async function useCsv(text) {
  let table;
  try {
    table = parseCsv(text);
  } catch (e) {
    setStatus(`CSV: ${e.message}`, true);
    return;
  }
  // One instance per row, each a CSV of the header and that row, read by the CLI's CSV reader.
  const instances = table.rows.map((cells) => ({ b64: btoa(`${table.header}\n${cells.join(',')}\n`), format: 'csv' }));
  const names = ((state.model && state.model.card && state.model.card.featureNames) || []).length === table.names.length
    ? state.model.card.featureNames : table.names;
  await setInput(instances, { type: 'table', names, rows: table.rows.map((r) => r.map(Number)) });
}

async function useText(text) {
  if (!text.trim()) {
    setStatus('Text: type or choose some text first.', true);
    return;
  }
  await setInput([{ text }], { type: 'text', text });
}

async function setInput(instances, display) {
  state.instances = instances;
  state.display = display;
  state.instanceIndex = 0;
  const sel = $('instance');
  sel.replaceChildren(...instances.map((_, i) => el('option', { value: String(i), text: `row ${i + 1}` })));
  sel.hidden = instances.length < 2;
  $('instance-label').hidden = instances.length < 2;
  showInput();
  await predict();
}

function showInput() {
  const view = $('input-view');
  const d = state.display;
  if (!d) {
    view.replaceChildren();
    return;
  }
  if (d.type === 'image') {
    const c = el('canvas', { width: 128, height: 128, 'aria-label': `input image ${d.name || ''}`, role: 'img', id: 'input-canvas' });
    drawBase(c.getContext('2d'), 128, 128);
    view.replaceChildren(c, el('p', { class: 'info', text: `${d.name || 'input'} (${d.w || d.source.width}×${d.h || d.source.height})` }));
  } else if (d.type === 'table') {
    const t = el('table', { class: 'csv' },
      el('thead', {}, el('tr', {}, ...d.names.map((n) => el('th', { scope: 'col', text: n })))),
      el('tbody', {}, ...d.rows.slice(0, 20).map((r, i) => el('tr', { class: i === state.instanceIndex ? 'current' : null },
        ...r.map((v) => el('td', { text: String(v) }))))));
    view.replaceChildren(t);
  } else if (d.type === 'text') {
    view.replaceChildren(el('p', { text: d.text }));
  }
}

/**
 * Draws the input filling the canvas. Under a heatmap (faded) it is drawn as the reports draw it
 * (viz Heatmaps.overlay): a faded grey 0.35 + 0.55 * luminance (Rec. 601), so the input's own
 * colours are not mistaken for attribution and the map's colours stay readable over black.
 */
function drawBase(ctx, w, h, faded = false) {
  const d = state.display;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, w, h);
  if (!d || d.type !== 'image') return;
  // enlarged pixels stay crisp, as in the reports (nearest); a larger photo is scaled down smoothly
  ctx.imageSmoothingEnabled = d.source.width > w || d.source.height > h;
  ctx.drawImage(d.source, 0, 0, w, h);
  if (!faded) return;
  const img = ctx.getImageData(0, 0, w, h);
  const p = img.data;
  for (let i = 0; i < p.length; i += 4) {
    const lum = (0.299 * p[i] + 0.587 * p[i + 1] + 0.114 * p[i + 2]) / 255;
    const g = Math.round(255 * (0.35 + 0.55 * lum));
    p[i] = g;
    p[i + 1] = g;
    p[i + 2] = g;
    p[i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// .npy: header parsing enough to show an image-like tensor (float, int, bool; little-endian).
function parseNpy(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw new Error('not an .npy file');
  const major = bytes[6];
  const view = new DataView(buffer);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const off = start + headerLen;
  const readers = {
    '<f4': [4, (i) => view.getFloat32(off + 4 * i, true)],
    '<f8': [8, (i) => view.getFloat64(off + 8 * i, true)],
    '<i4': [4, (i) => view.getInt32(off + 4 * i, true)],
    '<i8': [8, (i) => Number(view.getBigInt64(off + 8 * i, true))],
    '<i2': [2, (i) => view.getInt16(off + 2 * i, true)],
    '|u1': [1, (i) => view.getUint8(off + i)],
    '|i1': [1, (i) => view.getInt8(off + i)],
    '|b1': [1, (i) => view.getUint8(off + i)],
  };
  const r = readers[descr];
  if (!r) throw new Error(`.npy dtype ${descr} is not shown here`);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = r[1](i);
  return { shape, descr, data };
}

/** An image for the canvas from an (…, C, H, W) tensor: channel mean, min-max scaled. */
function npyDisplay(npy, name) {
  const s = npy.shape.filter((d, i) => !(d === 1 && i < npy.shape.length - 2));
  if (s.length < 2 || s.length > 3) return { type: 'none', name };
  const [c, h, w] = s.length === 3 ? s : [1, ...s];
  const plane = new Float64Array(h * w);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) plane[i] += npy.data[k * h * w + i] / c;
  let lo = Infinity;
  let hi = -Infinity;
  plane.forEach((v) => { lo = Math.min(lo, v); hi = Math.max(hi, v); });
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const g = hi > lo ? Math.round(((plane[i] - lo) / (hi - lo)) * 255) : 0;
    img.data.set([g, g, g, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  return { type: 'image', source: canvas, name, w, h };
}

// ---------- prediction ----------

async function predict() {
  const m = state.model;
  if (!m || state.instances.length === 0) return;
  $('prediction').replaceChildren(el('p', { class: 'info', text: 'Predicting…' }));
  try {
    const { body } = await api(`/v1/models/${encodeURIComponent(m.name)}:predict`, { json: { instances: state.instances } });
    state.predictions = body.predictions;
    showPrediction();
    setStatus('Prediction ready; choose methods and Run.');
  } catch (e) {
    state.predictions = null;
    const text = state.display && state.display.type === 'text';
    const msg = text ? `Text: ${e.message}` : `Prediction failed: ${e.message}`;
    $('prediction').replaceChildren(el('p', { class: 'error', text: msg }));
    setStatus(msg, true);
  }
}

function showPrediction() {
  const p = state.predictions && state.predictions[state.instanceIndex];
  if (!p) return;
  const list = el('ul', { class: 'classes', 'aria-label': 'Top classes; choose one to explain it' });
  for (const t of p.top || []) {
    const label = t.label !== undefined && t.label !== null ? t.label : labelOf(t.index);
    const pct = (100 * t.probability).toFixed(1);
    const b = el('button', {
      type: 'button', 'data-class': String(t.index), 'aria-pressed': 'false',
      'aria-label': `class ${t.index} ${label}, probability ${pct} percent; explain this class`,
      onclick: () => explainClass(t.index),
    },
    el('span', { text: `${t.index}: ${label}` }),
    el('span', { class: 'bar', style: `width:${Math.max(1, 100 * t.probability)}%` }),
    el('span', { text: `${pct}%` }));
    list.append(el('li', {}, b));
  }
  $('prediction').replaceChildren(list);
  markTarget();
}

/** The class explained: the chosen one, or the predicted (top) class of the current row. */
function currentTarget() {
  const v = $('target').value;
  if (v !== '') return Number(v);
  const p = state.predictions && state.predictions[state.instanceIndex];
  return p && p.top && p.top.length ? p.top[0].index : null;
}

function markTarget() {
  const t = currentTarget();
  for (const b of document.querySelectorAll('.classes button')) b.setAttribute('aria-pressed', String(Number(b.dataset.class) === t));
}

function explainClass(k) {
  $('target').value = String(k);
  markTarget();
  if (selectedMethods().length) runSelected();
}

// ---------- methods and their parameter forms ----------

function renderMethods() {
  const root = $('methods');
  root.replaceChildren();
  const families = [];
  for (const m of state.catalogue.methods) {
    let f = families.find((x) => x.name === m.family);
    if (!f) families.push(f = { name: m.family, methods: [] });
    f.methods.push(m);
  }
  for (const f of families) {
    const fs = el('fieldset', { class: 'family' }, el('legend', { text: f.name }));
    const list = el('div', { class: 'method-list' });
    const forms = el('div');
    for (const m of f.methods) {
      const id = `m-${m.name}`;
      const box = el('input', { type: 'checkbox', id, name: 'method', value: m.name });
      const params = paramForm(m);
      params.hidden = true;
      box.addEventListener('change', () => { params.hidden = !box.checked; });
      list.append(el('label', { for: id, title: m.summary }, box, m.name));
      forms.append(params);
    }
    fs.append(list, forms);
    root.append(fs);
  }
}

function paramForm(m) {
  const fs = el('fieldset', { class: 'params', id: `params-${m.name}` },
    el('legend', { text: `${m.name}: ${m.summary}` }));
  for (const p of m.params) {
    if (p.role === 'seed' || p.name === 'seed') continue; // the shared seed field
    fs.append(paramField(m, p));
  }
  fs.append(el('p', { class: 'hint', text: `cost: ${m.cost}${m.deterministic ? '' : '; seeded (same seed, same result)'}` }));
  for (const p of m.params) if (p.applies_when) wireApplies(fs, m, p);
  return fs;
}

function fieldId(m, p) {
  return `p-${m.name}-${p.name}`;
}

function rangeText(p) {
  const parts = [];
  if (p.minimum !== undefined) parts.push(`≥ ${p.minimum}`);
  if (p.exclusive_minimum !== undefined) parts.push(`> ${p.exclusive_minimum}`);
  if (p.maximum !== undefined) parts.push(`≤ ${p.maximum}`);
  if (p.exclusive_maximum !== undefined) parts.push(`< ${p.exclusive_maximum}`);
  return parts.join(', ');
}

function paramField(m, p) {
  const id = fieldId(m, p);
  const wrap = el('div', { class: 'param', 'data-param': p.name });
  const label = el('label', { for: id, text: p.name + (p.required ? ' (required)' : '') });
  let input;
  const def = p.default;
  if (p.type === 'boolean') {
    input = el('input', { type: 'checkbox', id, checked: def === true });
  } else if (p.type === 'choice') {
    input = el('select', { id }, ...p.choices.map((c) => el('option', { value: c, text: c, selected: c === def })));
  } else if (p.type === 'int' || p.type === 'long' || p.type === 'double') {
    const integer = p.type !== 'double';
    input = el('input', {
      type: 'number', id, step: integer ? '1' : 'any',
      min: p.minimum !== undefined ? p.minimum : p.exclusive_minimum !== undefined && integer ? p.exclusive_minimum + 1 : undefined,
      max: p.maximum !== undefined ? p.maximum : p.exclusive_maximum !== undefined && integer ? p.exclusive_maximum - 1 : undefined,
      value: def !== undefined ? String(def) : undefined,
      placeholder: def === undefined ? 'auto' : undefined,
      required: p.required,
    });
  } else if (p.type === 'feature-mask') {
    input = el('select', { id },
      el('option', { value: 'elementwise', text: 'elementwise (each element a feature)' }),
      el('option', { value: 'patch:2', text: '2×2 patches' }),
      el('option', { value: 'patch:4', text: '4×4 patches' }),
      el('option', { value: 'patch:8', text: '8×8 patches' }),
      el('option', { value: 'patch:16', text: '16×16 patches' }));
  } else {
    // int-list, string (layer names), baseline ("zeros" or a number), baseline-distribution
    input = el('input', { type: 'text', id, value: def !== undefined ? String(def) : undefined, required: p.required, spellcheck: 'false' });
    if (p.type === 'int-list') input.placeholder = 'e.g. 1,3,3';
    if (p.name === 'window') input.value = defaultWindow();
  }
  input.dataset.type = p.type;
  input.dataset.name = p.name;
  const help = el('span', { class: 'help', id: `${id}-help`, text: [p.help, rangeText(p)].filter((x) => x).join('; ') });
  input.setAttribute('aria-describedby', help.id);
  if (p.type === 'boolean') {
    wrap.append(el('label', { for: id }, input, ` ${p.name}`), help);
  } else {
    wrap.append(label, input, help);
  }
  return wrap;
}

function defaultWindow() {
  const s = exampleShape();
  if (!s) return '';
  if (s.length === 3) return [s[0] > 0 ? s[0] : 1, Math.max(1, Math.ceil((s[1] > 0 ? s[1] : 8) / 4)), Math.max(1, Math.ceil((s[2] > 0 ? s[2] : 8) / 4))].join(',');
  return s.map(() => 1).join(',');
}

function wireApplies(fs, m, p) {
  const [[other, values]] = Object.entries(p.applies_when);
  const src = fs.querySelector(`#${CSS.escape(`p-${m.name}-${other}`)}`);
  const field = fs.querySelector(`#${CSS.escape(fieldId(m, p))}`);
  if (!src || !field) return;
  const update = () => {
    const on = values.includes(src.value);
    field.disabled = !on;
    field.closest('.param').classList.toggle('inapplicable', !on);
  };
  src.addEventListener('change', update);
  update();
}

function fillLayerDefaults() {
  const layer = state.model && ((state.model.card && state.model.card.layer) || (state.model.text && state.model.text.layer));
  for (const f of document.querySelectorAll('input[data-name=layer]')) {
    // a value filled from the previous model's card gives way to this one's
    if (!f.value || f.value === f.dataset.filled) {
      f.value = layer || '';
      f.dataset.filled = f.value;
    }
  }
  for (const f of document.querySelectorAll('input[data-name=window]')) f.value = defaultWindow();
}

function suggestMethods(kind) {
  const anyChecked = document.querySelector('input[name=method]:checked');
  if (anyChecked) return;
  const k = kind === 'text' ? 'tokens' : kind;
  for (const m of state.catalogue.methods) {
    if ((m.suggested_for || []).includes(k) && !m.params.some((p) => p.required)) {
      const box = $(`m-${m.name}`);
      box.checked = true;
      box.dispatchEvent(new Event('change'));
      break;
    }
  }
}

function selectedMethods() {
  return [...document.querySelectorAll('input[name=method]:checked')].map((b) => b.value);
}

/** The method's parameters as the server takes them: only values given and applicable. */
function methodParameters(name) {
  const m = state.catalogue.methods.find((x) => x.name === name);
  const out = {};
  for (const p of m.params) {
    if (p.role === 'seed' || p.name === 'seed') {
      out.seed = Number($('seed').value || 0);
      continue;
    }
    const f = $(fieldId(m, p));
    if (!f || f.disabled) continue;
    if (p.type === 'boolean') {
      if (f.checked !== (p.default === true)) out[p.name] = f.checked;
      continue;
    }
    const v = f.value.trim();
    if (v === '') {
      if (p.required) throw new Error(`${name}: ${p.name} is required (${p.help})`);
      continue;
    }
    if (v === String(p.default)) continue;
    switch (p.type) {
      case 'int': case 'long': case 'double': out[p.name] = Number(v); break;
      case 'int-list': out[p.name] = v.split(',').map((s) => Number(s.trim())); break;
      case 'baseline': case 'baseline-distribution': out[p.name] = /^[-+]?[\d.]+(e[-+]?\d+)?$/i.test(v) ? Number(v) : v; break;
      case 'feature-mask': out[p.name] = patchMask(Number(v.split(':')[1])); break;
      default: out[p.name] = v;
    }
  }
  return out;
}

/** Group ids for square patches over the last two axes (same group across channels). */
function patchMask(k) {
  const s = exampleShape();
  if (!s || s.length < 2 || s.some((d) => !(d > 0))) throw new Error('patch feature masks need a model input of known shape (C, H, W)');
  const h = s[s.length - 2];
  const w = s[s.length - 1];
  const cols = Math.ceil(w / k);
  const plane = [];
  for (let y = 0; y < h; y++) {
    const row = [];
    for (let x = 0; x < w; x++) row.push(Math.floor(y / k) * cols + Math.floor(x / k));
    plane.push(row);
  }
  let out = plane;
  for (let i = s.length - 3; i >= 0; i--) out = Array.from({ length: s[i] }, () => out);
  return out;
}

// ---------- jobs ----------

function runSelected() {
  const methods = selectedMethods();
  if (!state.model) return;
  if (state.instances.length === 0) {
    setStatus('Choose an input first.', true);
    return;
  }
  if (methods.length === 0) {
    setStatus('Choose at least one method.', true);
    return;
  }
  let requests;
  try {
    requests = methods.map((name) => ({ name, parameters: methodParameters(name) }));
  } catch (e) {
    setStatus(e.message, true);
    return;
  }
  // A new run replaces the cards: jobs still running for the old ones are cancelled on the server.
  for (const c of state.cards) {
    if (!c.result && !c.stopped) cancelCard(c);
    stopCard(c);
  }
  state.cards = [];
  $('results').replaceChildren();
  state.runId += 1;
  const target = $('target').value === '' ? null : Number($('target').value);
  for (const r of requests) startJob(r.name, r.parameters, target, state.runId);
  setStatus(`Running ${methods.join(', ')}…`);
}

function startJob(method, params, target, runId) {
  const card = makeCard(method);
  state.cards.push(card);
  const parameters = { method, ...params };
  if (target !== null) parameters.target = target;
  const body = { model: state.model.name, instances: state.instances, parameters };
  card.request = body;
  api('/v1/jobs', { json: body }).then(({ body: job, response }) => {
    if (runId !== state.runId) {
      // replaced by a newer run before the server answered: do not leave the job running
      api(response.headers.get('Location') || `/v1/jobs/${job.id}`, { method: 'DELETE' }).catch(() => {});
      return;
    }
    card.id = job.id;
    card.url = response.headers.get('Location') || `/v1/jobs/${job.id}`;
    card.root.dataset.job = job.id;
    updateCard(card, job);
    poll(card);
  }).catch((e) => failCard(card, e.message));
}

async function poll(card) {
  while (!card.stopped) {
    let job;
    try {
      job = (await api(card.url)).body;
    } catch (e) {
      failCard(card, e.message);
      return;
    }
    if (card.stopped && job.state !== 'cancelled') return;
    updateCard(card, job);
    if (job.state === 'done') {
      let result = job.result;
      if (!result) {
        try {
          result = (await api(`${card.url}/result.json`)).body;
        } catch (e) {
          failCard(card, e.message);
          return;
        }
      }
      card.result = result;
      finishCard(card);
      return;
    }
    if (job.state === 'failed') {
      failCard(card, (job.error && job.error.message) || 'the job failed');
      return;
    }
    if (job.state === 'cancelled') {
      card.stopped = true;
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function stopCard(card) {
  card.stopped = true;
}

async function cancelCard(card) {
  if (!card.id || card.result || card.root.dataset.state === 'cancelled' || card.root.dataset.state === 'failed') return;
  card.cancel.disabled = true;
  try {
    // A running job stops at its engine's next progress check; polling goes on until the job
    // says so (a card replaced by a newer run is no longer polled).
    const { body } = await api(card.url, { method: 'DELETE' });
    if (body && body.state) updateCard(card, body);
    if (body && body.state !== 'cancelled') card.stateText.textContent = 'cancelling…';
  } catch (e) {
    card.cancel.disabled = false;
    failCard(card, `cancel: ${e.message}`);
  }
}

// ---------- result cards ----------

function makeCard(method) {
  const title = el('h3', { text: method });
  const stateText = el('p', { class: 'state', role: 'status', text: 'submitting…' });
  const progress = el('progress', { max: '1', value: '0', 'aria-label': `${method} progress` });
  const cancel = el('button', { type: 'button', class: 'cancel', text: 'Cancel' });
  const body = el('div', { class: 'body' });
  const root = el('article', { class: 'card', 'data-method': method, 'data-state': 'queued', 'aria-label': `${method} result` },
    title, stateText, progress, cancel, body);
  $('results').append(root);
  const card = { method, root, stateText, progress, cancel, body, title };
  cancel.addEventListener('click', () => cancelCard(card));
  return card;
}

function updateCard(card, job) {
  card.root.dataset.state = job.state;
  const pr = job.progress;
  if (pr && pr.planned > 0) {
    card.progress.max = pr.planned;
    card.progress.value = pr.done;
  }
  const counts = pr && pr.planned > 0 ? ` (${pr.done}/${pr.planned})` : '';
  card.stateText.textContent = `${job.state}${counts}`;
  if (job.state === 'cancelled') {
    card.cancel.disabled = true;
    card.progress.hidden = true;
    card.stateText.textContent = 'cancelled';
  }
}

function failCard(card, message) {
  card.stopped = true;
  card.root.dataset.state = 'failed';
  card.stateText.textContent = 'failed';
  card.progress.hidden = true;
  card.cancel.disabled = true;
  card.body.replaceChildren(el('p', { class: 'error', text: message }));
  setStatus(`${card.method}: ${message}`, true);
}

function finishCard(card) {
  card.root.dataset.state = 'done';
  card.stateText.textContent = 'done';
  card.progress.hidden = true;
  card.cancel.hidden = true;
  renderAll();
  scoreCard(card);
  if (state.cards.every((c) => c.result || c.stopped)) setStatus('Done.');
}

/** The map drawn for one explanation: channels reduced, leading axes of size 1 dropped. */
function mapOf(explanation, mode) {
  if (isTextResult(explanation)) return textMap(explanation, mode);
  const d = explanation.data;
  let shape = d.shape.slice();
  const values = d.attributions;
  while (shape.length > 1 && shape[0] === 1) shape = shape.slice(1);
  const kind = state.display ? state.display.type : 'none';
  if (kind === 'image' && shape.length >= 2) {
    const h = shape[shape.length - 2];
    const w = shape[shape.length - 1];
    const c = values.length / (h * w);
    const out = new Float64Array(h * w);
    for (let k = 0; k < c; k++) {
      for (let i = 0; i < h * w; i++) {
        const v = values[k * h * w + i];
        out[i] += mode === 'absolute' ? Math.abs(v) : v;
      }
    }
    return { type: 'image', h, w, values: out };
  }
  return { type: 'bars', values: Float64Array.from(values) };
}

function view() {
  return {
    opacity: Number($('opacity').value) / 100,
    mode: $('mode').value,
    cmap: $('cmap').value,
    sharing: $('sharing').value,
  };
}

function wireView() {
  const opacity = $('opacity');
  opacity.addEventListener('input', () => {
    $('opacity-value').textContent = `${opacity.value}%`;
    renderAll();
  });
  for (const id of ['mode', 'cmap', 'sharing']) $(id).addEventListener('change', () => renderAll());
}

function renderAll() {
  const v = view();
  const done = state.cards.filter((c) => c.result);
  const maps = done.map((c) => mapOf(c.result.explanations[state.instanceIndex], v.mode));
  const shared = v.sharing === 'shared' ? limitOf(maps.map((m) => m.values)) : null;
  done.forEach((c, i) => {
    const limit = shared !== null ? shared : limitOf([maps[i].values]);
    renderCard(c, maps[i], makeScale(v.mode, limit, v.cmap), v);
  });
}

function renderCard(card, map, scale, v) {
  const e = card.result.explanations[state.instanceIndex];
  const target = e.data.target;
  card.title.textContent = `${card.method} — class ${target}: ${labelOf(target)}`;
  card.root.dataset.target = String(target);
  const parts = [];
  if (map.type === 'image') parts.push(...heatmap(card, map, scale, v));
  else if (map.type === 'text') parts.push(textView(map, scale, fmt));
  else parts.push(barChart(map, scale));
  parts.push(colorBar(scale));
  const diag = e.data.diagnostics || {};
  const diagText = Object.entries(diag).filter(([, x]) => typeof x === 'number' || typeof x === 'string')
    .map(([k, x]) => `${k.replace(/_/g, ' ')} ${typeof x === 'number' ? fmt(x) : x}`).join('; ');
  if (diagText) parts.push(el('p', { class: 'diag', text: diagText }));
  if (!card.score) card.score = el('p', { class: 'score', 'aria-live': 'polite' });
  parts.push(card.score);
  const base = card.url;
  parts.push(el('div', { class: 'downloads' },
    downloadLink(`${base}/result.json`, `${card.method}.json`, 'dl-json', 'JSON'),
    downloadLink(`${base}/result.npy?instance=${state.instanceIndex}`, `${card.method}.npy`, 'dl-npy', '.npy'),
    downloadLink(`${base}/report.html`, `${card.method}.html`, 'dl-report', 'report', true)));
  card.body.replaceChildren(...parts);
}

function fmt(x) {
  if (Number.isInteger(x) && Math.abs(x) < 1e9) return String(x);
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e4 ? x.toPrecision(4) : x.toExponential(3);
}

function heatmap(card, map, scale, v) {
  const size = 256;
  const ratio = map.w / map.h;
  const cw = ratio >= 1 ? size : Math.round(size * ratio);
  const ch = ratio >= 1 ? Math.round(size / ratio) : size;
  const canvas = el('canvas', {
    class: 'heatmap', width: cw, height: ch, tabindex: '0', role: 'img',
    'aria-label': `${card.method} heatmap, ${map.h} by ${map.w}; move over it, or use the arrow keys, to read values`,
  });
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  drawBase(ctx, cw, ch, true);
  // The map at its own resolution, alpha = opacity * |normalised value| (viz Heatmaps.overlay):
  // zero leaves the input visible. Coarser maps than the input (layer maps) are smoothed.
  const small = document.createElement('canvas');
  small.width = map.w;
  small.height = map.h;
  const sctx = small.getContext('2d');
  const img = sctx.createImageData(map.w, map.h);
  for (let i = 0; i < map.values.length; i++) {
    const value = map.values[i];
    const [r, g, b] = scale.color(value);
    const a = v.opacity * Math.abs(scale.normalize(value));
    img.data.set([r, g, b, Math.round(255 * a)], 4 * i);
  }
  sctx.putImageData(img, 0, 0);
  const d = state.display;
  const inputW = d && d.type === 'image' ? (d.w || d.source.width) : map.w;
  ctx.imageSmoothingEnabled = map.w < inputW;
  ctx.drawImage(small, 0, 0, cw, ch);
  const readout = el('p', { class: 'readout', 'aria-live': 'polite', text: 'Point at the map to read a value.' });
  const show = (row, col) => {
    const value = map.values[row * map.w + col];
    readout.textContent = `row ${row}, col ${col}: ${fmt(value)}`;
    readout.dataset.row = String(row);
    readout.dataset.col = String(col);
  };
  let cursor = [0, 0];
  canvas.addEventListener('mousemove', (ev) => {
    const rect = canvas.getBoundingClientRect();
    const col = Math.min(map.w - 1, Math.max(0, Math.floor(((ev.clientX - rect.left) / rect.width) * map.w)));
    const row = Math.min(map.h - 1, Math.max(0, Math.floor(((ev.clientY - rect.top) / rect.height) * map.h)));
    cursor = [row, col];
    show(row, col);
  });
  canvas.addEventListener('keydown', (ev) => {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const mv = moves[ev.key];
    if (!mv) return;
    ev.preventDefault();
    cursor = [Math.min(map.h - 1, Math.max(0, cursor[0] + mv[0])), Math.min(map.w - 1, Math.max(0, cursor[1] + mv[1]))];
    show(cursor[0], cursor[1]);
  });
  canvas.addEventListener('focus', () => show(cursor[0], cursor[1]));
  return [canvas, readout];
}

function colorBar(scale) {
  const c = el('canvas', { class: 'colorbar', width: 256, height: 10, role: 'img', 'aria-label': `colour scale, ${scale.mode}, limit ${fmt(scale.limit)}` });
  const ctx = c.getContext('2d');
  for (let x = 0; x < 256; x++) {
    const t = x / 255;
    const v = scale.mode === 'signed' ? (2 * t - 1) * scale.limit : t * scale.limit;
    const [r, g, b] = scale.color(scale.limit > 0 ? v : 0);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(x, 0, 1, 10);
  }
  const labels = scale.mode === 'signed' ? [`−${fmt(scale.limit)}`, '0', `+${fmt(scale.limit)}`] : ['0', `|v| ${fmt(scale.limit)}`];
  return el('div', {}, c, el('div', { class: 'scale-labels' }, ...labels.map((l) => el('span', { text: l }))));
}

function barChart(map, scale) {
  const d = state.display;
  const names = d && d.type === 'table' ? d.names : [];
  const n = map.values.length;
  const order = [...Array(n).keys()].sort((a, b) => Math.abs(map.values[b]) - Math.abs(map.values[a])).slice(0, 30);
  const rowH = 16;
  const w = 280;
  const labelW = 100;
  const mid = labelW + (w - labelW) / 2;
  const half = (w - labelW) / 2 - 4;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'bars');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(order.length * rowH + 4));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'attributions per feature, largest magnitude first');
  const line = document.createElementNS(ns, 'line');
  Object.entries({ x1: mid, x2: mid, y1: 0, y2: order.length * rowH, stroke: '#888' }).forEach(([k, x]) => line.setAttribute(k, String(x)));
  svg.append(line);
  order.forEach((i, r) => {
    const value = map.values[i];
    const len = Math.abs(scale.normalize(value)) * half;
    const rect = document.createElementNS(ns, 'rect');
    const [cr, cg, cb] = scale.color(scale.mode === 'signed' ? Math.sign(value) * scale.limit : scale.limit);
    const x = scale.mode === 'signed' && value < 0 ? mid - len : mid;
    Object.entries({ x, y: r * rowH + 2, width: Math.max(0.5, len), height: rowH - 4, fill: `rgb(${cr},${cg},${cb})` })
      .forEach(([k, a]) => rect.setAttribute(k, String(a)));
    rect.setAttribute('data-feature', String(i));
    rect.setAttribute('data-value', String(value));
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${names[i] || `feature ${i}`}: ${fmt(value)}`;
    rect.append(title);
    const text = document.createElementNS(ns, 'text');
    text.setAttribute('x', '0');
    text.setAttribute('y', String(r * rowH + 12));
    text.textContent = `${(names[i] || `f${i}`).slice(0, 12)} ${fmt(value)}`;
    svg.append(rect, text);
  });
  return svg;
}

// ---------- metric scores ----------

async function scoreCard(card) {
  const metric = $('metric').value;
  if (!card.score || !card.result) return;
  delete card.score.dataset.value;
  if (!metric || !state.evaluateRoute) {
    card.score.textContent = '';
    return;
  }
  const spec = ((state.metrics && state.metrics.metrics) || []).find((m) => m.name === metric) || {};
  if (spec.needs_mask) {
    card.score.textContent = `${metric}: needs a ground-truth mask (explain4j evaluate --mask)`;
    return;
  }
  card.score.textContent = `${metric}: scoring…`;
  const path = state.evaluateRoute.replace(/\{[^}]+\}/, encodeURIComponent(state.model.name));
  // one target per instance: each explanation's own (the predicted class unless one was chosen)
  const parameters = { metric, target: card.result.explanations.map((e) => e.data.target), seed: Number($('seed').value || 0) };
  if (spec.re_explains) {
    // re-explaining metrics recompute this card's method with the parameters it ran with
    parameters.method = card.method;
    const mp = { ...((card.request && card.request.parameters) || {}) };
    delete mp.method;
    delete mp.target;
    delete mp.seed;
    parameters.methodParameters = mp;
  }
  const body = {
    instances: state.instances,
    attributions: card.result.explanations.map((e) => ({ shape: e.data.shape, attributions: e.data.attributions })),
    parameters,
  };
  const asked = metric;
  try {
    const { body: r } = await api(path, { json: body });
    if ($('metric').value !== asked) return; // another metric was chosen meanwhile
    const scores = r.scores || (r.results && r.results.map((x) => x.score)) || [];
    const s = scores.length === 1 && state.instances.length > 1 ? scores[0] : scores[state.instanceIndex];
    card.score.dataset.value = JSON.stringify(s);
    const better = r.higher_is_better === true ? ' (higher is better)' : r.higher_is_better === false ? ' (lower is better)' : '';
    card.score.textContent = `${metric}: ${typeof s === 'number' ? fmt(s) : JSON.stringify(s)}${better}`;
  } catch (e) {
    if ($('metric').value !== asked) return;
    card.score.textContent = `${metric}: ${e.message}`;
  }
}

// Test hooks: read-only views for browser tests and for debugging from the console.
window.explain4j = {
  state,
  maps: () => state.cards.filter((c) => c.result).map((c) => ({ method: c.method, job: c.id, ...mapOf(c.result.explanations[state.instanceIndex], view().mode) })),
};

init();
