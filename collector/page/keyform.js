import { $, show } from './dom.js';

// The read-key form, shown when the API answers 401. The key goes to session
// storage, never to the URL: the form is handled here and never submitted.

let onKey = null;

$('keyform-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('keyform-key');
  const key = input.value.trim();
  if (!key) return;
  input.value = '';
  onKey?.(key);
});

export function askForKey(rejected, then) {
  onKey = then;
  const error = $('keyform-error');
  error.textContent = rejected ? 'That key was not accepted. Check it and try again.' : '';
  show(error, rejected);
  show($('keyform'), true);
  $('keyform-key').focus();
}

export function hideKeyForm() {
  show($('keyform'), false);
}
