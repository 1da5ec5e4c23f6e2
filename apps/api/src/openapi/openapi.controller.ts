import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { sendJson } from '../common/http';
import { OpenApiService } from './openapi.service';

@Controller()
export class OpenApiController {
  constructor(private readonly openapi: OpenApiService) {}

  /** The OpenAPI 3.0 document of the whole API (the interactive page is at /docs). */
  @Get('openapi.json')
  document(@Res() res: Response): void {
    sendJson(res, 200, this.openapi.document());
  }
}
