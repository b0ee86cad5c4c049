// explain4j web UI: the form for models with several inputs. The API takes such an instance as
// {"inputs": {NAME: value, ...}}: the model's explained input is explained, the others are fed as
// given (token masks, segment ids, states). The server explains a model's only floating input (as
// `explain4j attribute` does without --explain), so the page marks that one as explained and asks
// for every input: an .npy file (sent as {"b64", "format": "npy"}, decoded by the server's reader)
// or numbers typed in row-major order (sent as a nested array of the input's example shape).
//
// app.js calls multiInputForm(model, hooks) when a model is chosen; hooks gives it app.js's
// helpers: el, setInput(instances, display), setStatus(message, isError), parseNpy, toBase64.

/**
 * The input the server explains: the card's "explain" when it names one, else the only input or the
 * only floating one (null when none or several).
 */
export function explainedInputName(model) {
  if (model && model.card && typeof model.card.explain === 'string') return model.card.explain;
  const inputs = (model && model.inputs) || [];
  if (inputs.length === 1) return inputs[0].name;
  const floating = inputs.filter((i) => /float|double/.test(i.dtype || '') && (i.shape || []).length > 0);
  return floating.length === 1 ? floating[0].name : null;
}

/** The example shape (no batch axis) with unknown sizes as null. */
function exampleShape(input) {
  return (input.shape || []).slice(1).map((d) => (d === null || d < 0 ? null : d));
}

/** Numbers typed in: separated by commas, spaces or new lines; every one finite. */
export function parseNumbers(text, name) {
  const parts = text.split(/[\s,;]+/).filter((s) => s !== '');
  if (parts.length === 0) throw new Error(`input ${name}: choose an .npy file or type its numbers`);
  return parts.map((s, i) => {
    const v = Number(s);
    if (!Number.isFinite(v)) throw new Error(`input ${name}: value ${i + 1} ('${s}') is not a finite number`);
    return v;
  });
}

/**
 * Flat row-major values as a nested array of the example shape; one unknown size is inferred from
 * the count. A count that does not fit is an error naming the input and the shape.
 */
export function nest(values, shape, name) {
  const dims = shape.slice();
  const known = dims.filter((d) => d !== null).reduce((a, b) => a * b, 1);
  const unknown = dims.filter((d) => d === null).length;
  if (unknown > 1 || (unknown === 1 && (known === 0 || values.length % known !== 0))) {
    throw new Error(`input ${name}: ${values.length} values do not fit its shape (${dims.map((d) => d ?? '?').join(', ')})`);
  }
  if (unknown === 1) dims[dims.indexOf(null)] = values.length / known;
  const total = dims.reduce((a, b) => a * b, 1);
  if (total !== values.length) {
    throw new Error(`input ${name}: ${values.length} values, but its example shape (${dims.join(', ')}) has ${total}`);
  }
  if (dims.length === 0) return values[0];
  const build = (axis, offset) => {
    if (axis === dims.length - 1) return values.slice(offset, offset + dims[axis]);
    const stride = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: dims[axis] }, (_, k) => build(axis + 1, offset + k * stride));
  };
  return build(0, 0);
}

/** Shows (or hides) the multi-input form for the chosen model. */
export function multiInputForm(model, hooks) {
  const { el } = hooks;
  const box = document.getElementById('multi-inputs');
  if (!box) return;
  const inputs = (model && model.inputs) || [];
  // a text model's several inputs (ids, mask, token types) are made from the typed text (text.js)
  if (inputs.length < 2 || (model && model.text)) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const explained = explainedInputName(model);
  const fields = inputs.map((input) => {
    const id = `mi-${input.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const role = input.name === explained ? 'explained' : 'fed as given';
    const shape = `(${exampleShape(input).map((d) => d ?? 'N').join(', ')})`;
    const file = el('input', { type: 'file', id: `${id}-file`, accept: '.npy', 'data-input': input.name });
    const text = el('textarea', { id: `${id}-text`, rows: '2', cols: '40', 'data-input': input.name,
      placeholder: 'numbers, row-major: 0.5, 1, -2 …' });
    const fs = el('fieldset', { class: 'multi-input', 'data-input': input.name, 'data-role': input.name === explained ? 'explained' : 'fed' },
      el('legend', { text: `${input.name} ${shape} ${input.dtype || ''} — ${role}` }),
      el('label', { for: file.id, text: `.npy file for ${input.name}` }), file,
      el('label', { for: text.id, text: `or the numbers of ${input.name}` }), text);
    return { input, file, text, fs };
  });
  const use = el('button', { type: 'button', id: 'mi-use', text: 'Use these inputs' });
  box.replaceChildren(
    el('p', { class: 'hint', id: 'mi-explained', text: explained
      ? `This model has ${inputs.length} inputs; the server explains ${explained}, its only floating input, and feeds the others as given.`
      : `This model has ${inputs.length} inputs and no single floating one; the server cannot choose which to explain.` }),
    ...fields.map((f) => f.fs), use);
  box.hidden = false;
  use.addEventListener('click', () => useInputs(model, fields, explained, hooks));
}

async function useInputs(model, fields, explained, hooks) {
  const values = {};
  let shown = null;
  try {
    for (const { input, file, text } of fields) {
      const f = file.files && file.files[0];
      let flat;
      if (f) {
        const bytes = await f.arrayBuffer();
        const npy = hooks.parseNpy(bytes);
        values[input.name] = { b64: hooks.toBase64(bytes), format: 'npy' };
        flat = Array.from(npy.data);
      } else {
        flat = parseNumbers(text.value, input.name);
        values[input.name] = nest(flat, exampleShape(input), input.name);
      }
      if (input.name === explained) shown = flat;
    }
  } catch (e) {
    hooks.setStatus(e.message, true);
    return;
  }
  // the explained input's values are drawn as a table (its attributions as bars)
  const card = model.card || {};
  const names = (card.featureNames || []).length === (shown || []).length ? card.featureNames
    : (shown || []).map((_, i) => `${explained}[${i}]`);
  await hooks.setInput([{ inputs: values }], { type: 'table', names, rows: [shown || []] });
}
