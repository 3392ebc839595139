import { signatureFor } from '@zigong/kit';
import { rawRequest, streamOf, type RawResponse } from '../support/raw-http';
import type { HostileCase, Target } from './hostile-corpus';

export interface CorpusTargets {
  /** The /graphql URL of each gateway, and a way to mint its tokens. */
  gateways: Record<Exclude<Target, 'subgraph'>, { url: string; token(scope: string, options?: { expiresIn?: number }): Promise<string> }>;
  /** The /graphql URL of each subgraph, by department. */
  subgraphs: Record<string, string>;
  signingSecret: string;
}

/** Sends one corpus case as its data describes it, to the target it names. */
export async function sendHostileCase(hostile: HostileCase, targets: CorpusTargets): Promise<RawResponse> {
  const { request } = hostile;
  const base = hostile.target === 'subgraph' ? targets.subgraphs[request.subgraph ?? 'organization'] : targets.gateways[hostile.target].url;
  if (!base) throw new Error(`No ${hostile.target} ${request.subgraph ?? ''} to send "${hostile.name}" to.`);
  const url = new URL(request.path ?? '/graphql', base);
  for (const [key, value] of Object.entries(request.search ?? {})) url.searchParams.set(key, value);

  const raw = typeof request.raw === 'function' ? request.raw() : request.raw;
  const body = raw ?? (request.json === undefined ? undefined : JSON.stringify(request.json));
  const headers: Record<string, string> = { ...request.headers };
  const contentType = request.contentType === undefined ? 'application/json' : request.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  if (request.authorization) headers.authorization = request.authorization;
  if (request.token) {
    if (hostile.target === 'subgraph') throw new Error(`"${hostile.name}": subgraphs take no tokens, only the gateway's signature.`);
    headers.authorization = `Bearer ${await targets.gateways[hostile.target].token(request.token.scope, { expiresIn: request.token.expiresIn })}`;
  }
  if (request.sign) {
    const signed = { method: request.method ?? 'POST', body: Buffer.isBuffer(body) ? body.toString('utf8') : (body ?? ''), headers };
    Object.assign(
      headers,
      {
        valid: () => signatureFor(targets.signingSecret, url, signed),
        'wrong-secret': () => signatureFor('not-the-gateway-secret-but-32-bytes-long', url, signed),
        stale: () => signatureFor(targets.signingSecret, url, signed, Date.now() - 5 * 60_000),
        malformed: () => ({ 'signature-input': 'zigong=("@method");created=yesterday', signature: 'zigong=:deadbeef:' }),
      }[request.sign](),
    );
  }
  return rawRequest({
    url: url.toString(),
    method: request.method ?? 'POST',
    headers,
    body: request.streamBytes ? streamOf(request.streamBytes) : body,
  });
}
