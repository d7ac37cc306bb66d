#!/usr/bin/env node
// Writes docs/configuration.md from the settings (run after `tsc -b`: `npm run docs:config`).
import { writeFileSync } from 'node:fs';
import { renderConfigDoc } from '../dist/service/config-doc.js';

const out = new URL('../../docs/configuration.md', import.meta.url);
writeFileSync(out, renderConfigDoc());
process.stdout.write(`wrote ${out.pathname}\n`);
