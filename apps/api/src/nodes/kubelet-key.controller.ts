import { Controller, Get } from '@nestjs/common';
import { KubeletClient } from './kubelet-client';

/**
 * The public half of the key the API server signs its requests to node agents with
 * (public information: agents fetch it to check that a log request comes from the API).
 */
@Controller('auth')
export class KubeletKeyController {
  constructor(private readonly kubelet: KubeletClient) {}

  @Get('kubelet-client-key')
  key(): { algorithm: 'Ed25519'; publicKey: string } {
    return { algorithm: 'Ed25519', publicKey: this.kubelet.publicKeyPem };
  }
}
