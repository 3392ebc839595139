import type { Identity } from '@zigong/kit';
import { GraphQLError } from 'graphql';
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from './config';

export type Authenticate = (authorization: string | undefined) => Promise<Identity | null>;

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/**
 * Verifies `Authorization: Bearer <jwt>`: HS256 with the shared secret, or RS256/ES256 against
 * the JWKS. No header means anonymous; a header that does not verify is refused, never ignored.
 */
export function createAuthenticator(config: AuthConfig): Authenticate {
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined;
  const options = { issuer: config.issuer, audience: config.audience };

  return async (authorization) => {
    if (authorization === undefined || authorization === '') return null;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".');
    let payload: JWTPayload;
    try {
      const header = JSON.parse(Buffer.from(match[1].split('.')[0] ?? '', 'base64url').toString('utf8'));
      if (header?.alg === 'HS256' && secret) payload = (await jwtVerify(match[1], secret, { ...options, algorithms: ['HS256'] })).payload;
      else if (jwks) payload = (await jwtVerify(match[1], jwks, { ...options, algorithms: ['RS256', 'ES256'] })).payload;
      else throw unauthenticated(`Tokens signed with ${String(header?.alg)} are not accepted here.`);
    } catch (error) {
      if (error instanceof GraphQLError) throw error;
      if (error instanceof errors.JWTExpired) throw unauthenticated('The token has expired; get a new one.');
      if (error instanceof errors.JWSSignatureVerificationFailed) throw unauthenticated('The token’s signature does not verify.');
      if (error instanceof errors.JWTClaimValidationFailed) throw unauthenticated(`The token’s "${error.claim}" claim is not acceptable.`);
      throw unauthenticated('The token is malformed.');
    }
    if (typeof payload.sub !== 'string' || !payload.sub) throw unauthenticated('The token has no "sub" claim.');
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    return { sub: payload.sub, scopes: scope.split(' ').filter(Boolean) };
  };
}

/** Mints an HS256 token, as `npm run token` does; for local use and tests. */
export function mintToken(secret: string, { sub, scope, expiresIn = '1h' }: { sub: string; scope: string; expiresIn?: string | number }): Promise<string> {
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
