import { Controller, Get, Logger, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ObjectRepository } from '@berth/store';

/**
 * Kubernetes-style probes: plain-text `ok`, or 503 with the failing check (its cause goes
 * to the log, not to the caller).
 */
@Controller()
export class HealthController {
  private readonly logger = new Logger('Health');

  constructor(private readonly repo: ObjectRepository) {}

  @Get(['healthz', 'livez'])
  live(@Res() res: Response): void {
    res.status(200).type('text/plain').send('ok');
  }

  @Get('readyz')
  async ready(@Res() res: Response): Promise<void> {
    try {
      await this.repo.revision();
      res.status(200).type('text/plain').send('ok');
    } catch (err) {
      this.logger.warn(`readyz: postgres check failed: ${(err as Error).message}`);
      res
        .status(503)
        .setHeader('Retry-After', '1')
        .type('text/plain')
        .send('[-]postgres failed: the database cannot be reached\nreadyz check failed');
    }
  }
}
