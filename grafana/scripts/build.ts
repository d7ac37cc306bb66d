import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDashboards } from '../src/render.js';

// Run compiled (npm run dashboards), from grafana/dist/scripts/.
const out = fileURLToPath(new URL('../../dashboards/', import.meta.url));
for (const { file, text } of renderDashboards()) {
  writeFileSync(join(out, file), text);
  console.log(`wrote grafana/dashboards/${file}`);
}
