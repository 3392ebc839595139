import { runMain } from '@zigong/platform';
import { parseArgs } from 'node:util';
import { mintToken } from './auth';
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
  const { auth } = loadGatewayConfig();
  // With a JWKS_URL the gateway ignores JWT_SECRET: a token signed with it would be refused.
  if (!auth.jwtSecret || auth.jwksUrl) throw new Error('No JWT_SECRET in use (none set, or JWKS_URL is set): tokens for a JWKS come from the identity provider.');
  console.log(await mintToken(auth.jwtSecret, { sub: values.sub, scope: values.scope!, expiresIn: values.expires }));
});
