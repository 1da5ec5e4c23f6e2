import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Controller, Get, Inject, Logger, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { errors } from '@berth/core';
import { sendStatus } from '../common/http';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

function isFile(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** Where `npm run build -w @berth/admin` puts the dashboard (apps/admin/dist). */
export const DASHBOARD_DIR = path.resolve(__dirname, '..', '..', '..', 'admin', 'dist');

/**
 * The dashboard (apps/admin): its built files at /ui (any other path under /ui is the
 * single-page app's index.html), and what it needs to write a kubeconfig for kubectl.
 */
@Controller()
export class DashboardController {
  private readonly logger = new Logger('Dashboard');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('')
  root(@Res() res: Response): void {
    res.redirect(302, '/ui/');
  }

  /**
   * The HTTPS address kubectl should use (the host the browser reached, the HTTPS port)
   * and the cluster CA (public): the dashboard puts them with a fresh API token into a
   * kubeconfig.
   */
  @Get('ui/cluster-info')
  clusterInfo(@Req() req: Request, @Res() res: Response): void {
    const ca = readFileSync(path.join(this.config.dataDir, 'pki', 'ca.crt'), 'utf8');
    const host = req.hostname.includes(':') ? `[${req.hostname}]` : req.hostname;
    res
      .status(200)
      .type('application/json')
      .send(
        JSON.stringify({
          server: `https://${host}:${this.config.port}`,
          certificateAuthorityData: Buffer.from(ca).toString('base64'),
        }),
      );
  }

  @Get(['ui', 'ui/*path'])
  serve(@Req() req: Request, @Res() res: Response): void {
    if (req.path === '/ui') return res.redirect(302, '/ui/');
    const index = path.join(DASHBOARD_DIR, 'index.html');
    if (!existsSync(index))
      throw errors.notFound(
        'dashboard',
        'index.html (build it: npm run build, or npm run build -w @berth/admin)',
      );
    let rel: string;
    try {
      rel = path.normalize(decodeURIComponent(req.path.slice('/ui/'.length)));
    } catch {
      throw errors.badRequest('the path is not valid percent-encoded UTF-8');
    }
    const file = path.join(DASHBOARD_DIR, rel);
    if (
      !rel.includes('\0') &&
      !rel.startsWith('..') &&
      file.startsWith(DASHBOARD_DIR) &&
      isFile(file)
    ) {
      if (rel.startsWith('assets/'))
        res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      return res.sendFile(file, { dotfiles: 'deny' }, (err) => this.sent(res, err));
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index, (err) => this.sent(res, err));
  }

  /** A file that could not be sent: logged with its path; the client gets a plain Status. */
  private sent(res: Response, err: Error | undefined): void {
    if (!err) return;
    this.logger.warn(`could not send a dashboard file: ${err.message}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendStatus(res, errors.notFound('dashboard', 'file').toStatus());
  }
}
