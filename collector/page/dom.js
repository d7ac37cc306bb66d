// Every string shown on the page arrives through textContent or a text node:
// stored text (model names, error messages, prompts) is never parsed as HTML.

/** An element with properties and children; strings and numbers become text nodes. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

export const $ = (id) => document.getElementById(id);

/** Sets text only when it changed, so a refresh that brings the same numbers touches nothing. */
export function setText(el, text) {
  const t = String(text);
  if (el.textContent !== t) el.textContent = t;
}

/**
 * Puts `nodes` in `parent` in this order, moving only the nodes that are out of
 * place: a node that stays where it was keeps its focus and selection.
 */
export function reconcile(parent, nodes) {
  let i = 0;
  for (const node of nodes) {
    const here = parent.children[i];
    if (here !== node) parent.insertBefore(node, here ?? null);
    i++;
  }
  while (parent.children.length > nodes.length) parent.lastElementChild.remove();
}

export function show(el, visible) {
  if (el.hidden === visible) el.hidden = !visible;
}
