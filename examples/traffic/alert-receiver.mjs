// The demo stack's stand-in for an incident tool: alertmanager/alertmanager.yml sends its
// webhooks to http://alert-receiver:9000/costlens/{page,ticket}, and this prints one line
// per alert, so `docker compose logs -f alert-receiver` shows what would have paged whom.
//
//   node examples/traffic/alert-receiver.mjs    # ALERT_RECEIVER_HOST (127.0.0.1), ALERT_RECEIVER_PORT (9000)
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/** One line per alert of an Alertmanager webhook message (version 4). */
export function describeNotification(route, message) {
  return (message.alerts ?? []).map((alert) => {
    const labels = alert.labels ?? {};
    const summary = alert.annotations?.summary ?? labels.alertname ?? 'an alert';
    return `${route} ${alert.status ?? message.status}: ${labels.alertname ?? '?'} (${labels.severity ?? 'no severity'}) ${summary}`;
  });
}

export async function startAlertReceiver({
  host = '127.0.0.1',
  port = 0,
  print = console.log,
} = {}) {
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"status":"ok"}');
    }
    if (req.method !== 'POST') {
      res.writeHead(405);
      return res.end();
    }
    try {
      for (const line of describeNotification(path, JSON.parse(text))) print(line);
      res.writeHead(200);
    } catch (err) {
      print(`${path}: not an Alertmanager message (${err.message})`);
      res.writeHead(400);
    }
    res.end();
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  return {
    url: `http://${host}:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const receiver = await startAlertReceiver({
    host: process.env.ALERT_RECEIVER_HOST ?? '127.0.0.1',
    port: Number(process.env.ALERT_RECEIVER_PORT ?? 9000),
  });
  console.log(`alert receiver listening on ${receiver.url}`);
  // Stopped with SIGTERM: nothing to flush, end at once.
  for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => process.exit(0));
}
