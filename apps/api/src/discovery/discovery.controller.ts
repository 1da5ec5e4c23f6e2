import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiError } from '@berth/core';
import { sendJson, sendStatus } from '../common/http';
import { DiscoveryService } from './discovery.service';

/** A protobuf-encoded OpenAPI v2 document that says only `swagger: "2.0"`. */
const MINIMAL_OPENAPI_V2_PROTO = Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]);

/** Unauthenticated endpoints kubectl calls before anything else. */
@Controller()
export class DiscoveryController {
  constructor(private readonly discovery: DiscoveryService) {}

  @Get('version')
  version(@Res() res: Response): void {
    sendJson(res, 200, this.discovery.version());
  }

  /**
   * kubectl's client-side validation fetches the OpenAPI v2 document (as protobuf).
   * An empty document makes it accept any field, leaving validation to this server
   * (which rejects unknown fields with fieldValidation=Strict). The full OpenAPI 3
   * document for integrators is at /openapi.json.
   */
  @Get('openapi/v2')
  openapiV2(@Req() req: Request, @Res() res: Response): void {
    if ((req.headers.accept ?? '').includes('protobuf')) {
      res.status(200).type('application/octet-stream').send(MINIMAL_OPENAPI_V2_PROTO);
      return;
    }
    sendJson(res, 200, { swagger: '2.0', info: { title: 'Berth', version: 'v0.1.0' }, paths: {} });
  }

  @Get(['openapi/v3', 'openapi/v3/*path'])
  openapiV3(@Req() req: Request, @Res() res: Response): void {
    sendStatus(
      res,
      new ApiError(
        404,
        'NotFound',
        `the server could not find the requested resource (${req.path}); the OpenAPI 3 document is at /openapi.json`,
      ).toStatus(),
    );
  }
}
