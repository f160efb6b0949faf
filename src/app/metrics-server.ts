import { createServer, type Server } from 'node:http';
import type { Metrics } from '../core/metrics.js';
import type { Logger } from '../core/logger.js';

/**
 * GET /metrics without a token on its own port, meant for an internal address (METRICS_HOST,
 * default 127.0.0.1) that only the scraper reaches. Any role (web or worker) can run one.
 */
export function startMetricsServer(metrics: Metrics, port: number, host: string, logger: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'metrics not collected');
        res.writeHead(503).end();
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
