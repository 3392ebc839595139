// Hive Gateway for the authorization differential test (tests/differential/authorization.e2e.test.ts):
// @envelop/generic-auth through Hive's `genericAuth` option, in its granular mode, removing what
// a caller may not read instead of refusing the request (as our AUTHORIZATION_MODE=filter does).
// The caller is read from the bearer token's claims without verifying them: the test's gateway
// verifies the same token, and here only the identity matters, not who signed it.
export const gatewayConfig = {
  genericAuth: {
    mode: 'protect-granular',
    rejectUnauthenticated: false,
    resolveUserFn: ({ request }) => {
      const header = request.headers.get('authorization');
      if (!header?.startsWith('Bearer ')) return null;
      return JSON.parse(Buffer.from(header.slice(7).split('.')[1], 'base64url').toString('utf8'));
    },
  },
};
