import { SIGNATURE_HEADER, signRequest } from '@zigong/kit';
import autocannon from 'autocannon';
import { benchData, SCENARIOS } from './scenarios';

/**
 * One load run, in its own process so the load generator's CPU is not the gateway's: argv[2] is
 * a JSON { url, scenario, scale, funds, connections, duration, headers, signingSecret }. Prints
 * autocannon's figures. With a signing secret each request is signed, as a gateway would (for
 * a subgraph asked directly).
 */
async function main() {
  const { url, scenario: name, scale, funds, connections, duration, headers = {}, signingSecret } = JSON.parse(process.argv[2]);
  const scenario = SCENARIOS.find((s) => s.name === name)!;
  const data = benchData(scale, funds);
  let i = 0;
  const body = () => JSON.stringify({ query: scenario.query, variables: scenario.variables(i++, data) });
  const result = await autocannon({
    url,
    connections,
    duration,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    requests: [
      {
        setupRequest: (request) => {
          const text = body();
          return signingSecret ? { ...request, body: text, headers: { ...request.headers, [SIGNATURE_HEADER]: signRequest(signingSecret, text) } } : { ...request, body: text };
        },
      },
    ],
  });
  process.stdout.write(
    JSON.stringify({
      requests: result.requests.total,
      duration: result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    }),
  );
}

void main();
