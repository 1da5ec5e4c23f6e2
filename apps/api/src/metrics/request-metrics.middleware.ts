import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { RequestInfo } from '@berth/core';
import { MetricsService } from './metrics.service';

/** Records latency and outcome of every request and writes one access-log line for it. */
@Injectable()
export class RequestMetricsMiddleware implements NestMiddleware {
  private readonly logger = new Logger('Access');

  constructor(private readonly metrics: MetricsService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const start = process.hrtime.bigint();
    let watching = false;
    const watchCheck = () => {
      const info = res.locals.requestInfo as RequestInfo | undefined;
      if (info?.verb === 'watch' && !watching) {
        watching = true;
        this.metrics.longRunning.inc({ resource: info.resource });
      }
    };
    res.once('pipe', watchCheck);
    const origFlush = res.flushHeaders.bind(res);
    res.flushHeaders = () => {
      watchCheck();
      origFlush();
    };
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const info = res.locals.requestInfo as RequestInfo | undefined;
      const verb = info?.verb ? info.verb.toUpperCase() : req.method;
      const labels = {
        verb: verb === 'WATCH' || watching ? 'WATCH' : verb,
        resource: info?.resource ?? '',
        subresource: info?.subresource ?? '',
        code: String(res.statusCode),
      };
      this.metrics.requests.inc(labels);
      if (watching) this.metrics.longRunning.dec({ resource: info?.resource ?? '' });
      else this.metrics.requestDuration.observe(labels, seconds);
      const line = `${req.method} ${req.originalUrl} ${res.statusCode} ${(seconds * 1000).toFixed(1)}ms`;
      // A 503 (the database is out, Retry-After sent) is a state, not a fault of the server.
      if (res.statusCode === 503) this.logger.warn(line);
      else if (res.statusCode >= 500) this.logger.error(line);
      else this.logger.debug(line);
    });
    next();
  }
}
