import autocannon from 'autocannon';
import { benchData, SCENARIOS } from './scenarios';

/**
 * One load run, in its own process so the load generator's CPU is not the gateway's: argv[2] is
 * a JSON { url, scenario, scale, connections, duration, headers }. Prints autocannon's figures.
 */
async function main() {
  const { url, scenario: name, scale, connections, duration, headers = {} } = JSON.parse(process.argv[2]);
  const scenario = SCENARIOS.find((s) => s.name === name)!;
  const data = benchData(scale);
  let i = 0;
  const result = await autocannon({
    url,
    connections,
    duration,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify({ query: scenario.query, variables: scenario.variables(i++, data) }) }) }],
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
