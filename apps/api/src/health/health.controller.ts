import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ObjectRepository } from '@berth/store';

/** Kubernetes-style probes: plain-text `ok`, or 500 with the failing check. */
@Controller()
export class HealthController {
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
      res
        .status(500)
        .type('text/plain')
        .send(`[-]postgres failed: ${(err as Error).message}\nreadyz check failed`);
    }
  }
}
