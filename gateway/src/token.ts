import { runMain } from '@zigong/platform';
import { parseArgs } from 'node:util';
import { createAuthenticator, mintToken } from '@zigong/platform';
import { loadGatewayConfig } from './config';

/** `npm run token -- --sub alice --scope "finance:write"`: a bearer token for the configured secret. */
runMain(async () => {
  const { values } = parseArgs({
    options: { sub: { type: 'string' }, scope: { type: 'string', default: '' }, expires: { type: 'string', default: '1h' } },
  });
  if (!values.sub) {
    console.error('Usage: npm run token -- --sub <who> [--scope "finance:write organization:read"] [--expires 1h]');
    process.exit(2);
  }
  // For the gateway `npm start` runs unless the environment names another (GATEWAY_MODE=production and its settings).
  const { auth } = loadGatewayConfig({ GATEWAY_MODE: 'local', ...process.env });
  // With a JWKS_URL the gateway ignores JWT_SECRET: a token signed with it would be refused.
  if (!auth.jwtSecret || auth.jwksUrl) throw new Error('No JWT_SECRET in use (none set, or JWKS_URL is set): tokens for a JWKS come from the identity provider.');
  const token = await mintToken(auth.jwtSecret, { sub: values.sub, scope: values.scope!, expiresIn: values.expires, issuer: auth.issuer, audience: auth.audience });
  // Printed only if this configuration's gateway accepts it (a lifetime past JWT_MAX_TOKEN_AGE is not).
  await createAuthenticator(auth)(`Bearer ${token}`).catch((error: Error) => {
    throw new Error(`The gateway would refuse this token: ${error.message}`);
  });
  console.log(token);
});
