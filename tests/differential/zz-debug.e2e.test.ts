import { FIXTURES } from './fixtures';
import { startVariant, VARIANTS, closeClient } from './harness';
import { useDifferentialEnvironment } from './suite';
import { LOCAL_JWT_SECRET, mintToken } from '@zigong/gateway';

const environment = useDifferentialEnvironment(FIXTURES.filter((f) => f.name === (process.env.F ?? 'entity-nested-key')));
it('debug', async () => {
  const fixture = environment.fixture(process.env.F ?? 'entity-nested-key');
  const gateway = await startVariant(fixture.supergraphSdl, VARIANTS[0], { LOG_LEVEL: 'debug' });
  const token = await mintToken(LOCAL_JWT_SECRET, { sub: 'd', scope: '' });
  for (const query of [process.env.Q!]) {
    for (const accept of ['multipart/mixed;deferSpec=20220824', 'application/json']) {
      const r = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
      console.log(accept, r.status, await r.text());
    }
  }
  await gateway.stop();
  closeClient();
}, 60000);
