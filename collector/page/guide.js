import { h } from './dom.js';

// What to do when the collector has no calls at all: the one-import command.

function codeBlock(text) {
  const code = h('code', { text });
  const copy = h('button', { type: 'button', class: 'copy', text: 'Copy' });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Select and copy';
    }
    setTimeout(() => {
      copy.textContent = 'Copy';
    }, 1500);
  });
  return h('div', { class: 'code' }, h('pre', {}, code), copy);
}

export function renderGuide(root, { keyed }) {
  const endpoint = location.origin;
  const env = [`OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}`];
  if (keyed) env.push('OTEL_EXPORTER_OTLP_HEADERS=x-api-key=<your ingest key>');
  root.replaceChildren(
    h('h2', { id: 'guide-title', text: 'No calls yet' }),
    h('p', {
      class: 'lead',
      text: 'Start your app with one import and every OpenAI, Anthropic or Google call it makes shows up here, priced.',
    }),
    h(
      'ol',
      { class: 'steps' },
      h(
        'li',
        {},
        h('span', { class: 'step-title', text: 'Install the instrumentation in your app' }),
        codeBlock('npm install @costlens/instrumentation'),
      ),
      h(
        'li',
        {},
        h('span', {
          class: 'step-title',
          text: 'Start the app with it, pointed at this collector',
        }),
        codeBlock(`${env.join(' ')} \\\n  node --import @costlens/instrumentation/register app.js`),
      ),
      h(
        'li',
        {},
        h('span', { class: 'step-title', text: 'Make a call' }),
        h('p', {
          class: 'muted',
          text: 'This page looks again every 30 seconds: the first call appears on its own.',
        }),
      ),
    ),
  );
}
