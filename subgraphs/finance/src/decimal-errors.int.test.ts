import { encodeIdentity, IDENTITY_HEADER, type RunningSubgraph, signatureFor, startSubgraph } from '@zigong/kit';
import { type DepartmentHarness, departmentHarness, testSubgraphConfig } from '@zigong/kit/testing';
import { GANTANG } from '@zigong/reference-data';
import { CITY_FUND } from './finance.seed';
import { finance } from './index';

/*
 * What a client is told when an amount is no decimal, at each layer it can meet: the finance
 * schema itself (finance.int.test.ts), the finance subgraph over HTTP as the gateway calls it
 * (here), and the gateway (tests/e2e/finance.e2e.test.ts).
 */

const SECRET = 'finance-test-signing-secret-of-enough-length';
const ALLOCATE = `mutation($input: AllocateFundInput!) { allocateFund(input: $input) { id } }`;
const LITERAL = `mutation { allocateFund(input: { fundId: "${CITY_FUND}", villageId: "${GANTANG}", amount: "abc", purpose: "x" }) { id } }`;
const variables = (amount: unknown) => ({ input: { fundId: CITY_FUND, villageId: GANTANG, amount, purpose: 'x' } });
const NAMES_PROBLEM = /"abc" is not a decimal amount: write a string such as "1250\.50", with at most 2 decimal places/;

let fin: DepartmentHarness;
let subgraph: RunningSubgraph;

beforeAll(async () => {
  fin = await departmentHarness(finance, { seed: true });
  subgraph = await startSubgraph(finance, testSubgraphConfig(fin.url, { poolSize: 2, signingSecret: SECRET }));
});
afterAll(async () => {
  await subgraph?.stop();
  await fin?.close();
});

/** A request as the gateway sends it: signed, with the caller's identity. */
async function asGateway(query: string, vars?: Record<string, unknown>) {
  const body = JSON.stringify({ query, variables: vars });
  const identity = { [IDENTITY_HEADER]: encodeIdentity({ sub: 'gateway-caller', scopes: ['finance:write'] }) };
  const response = await fetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...identity, ...signatureFor(SECRET, subgraph.url, { body, headers: identity }) },
    body,
  });
  return { status: response.status, ...((await response.json()) as object) } as { status: number; errors?: any[]; data?: any };
}

describe('an invalid Decimal at the finance subgraph over HTTP', () => {
  it('as a variable: HTTP 400, INVALID_DECIMAL (Apollo keeps a coercion error’s own code), the problem named', async () => {
    const response = await asGateway(ALLOCATE, variables('abc'));
    expect(response.status).toBe(400);
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0].extensions.code).toBe('INVALID_DECIMAL');
    expect(response.errors![0].message).toMatch(/^Variable "\$input" got invalid value "abc" at "input\.amount"; /);
    expect(response.errors![0].message).toMatch(NAMES_PROBLEM);
  });

  it('as an inline literal: HTTP 400, INVALID_DECIMAL (the kit restores the scalar’s code), the problem named', async () => {
    const response = await asGateway(LITERAL);
    expect(response.status).toBe(400);
    expect(response.errors![0].message).toMatch(NAMES_PROBLEM);
    expect(response.errors![0].extensions.code).toBe('INVALID_DECIMAL');
  });

  it('other validation errors keep their code', async () => {
    const response = await asGateway('{ funds { nope } }');
    expect(response.errors![0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a valid amount still goes through, so the refusals above are the scalar’s', async () => {
    const response = await asGateway(ALLOCATE, variables('1.50'));
    expect(response.errors).toBeUndefined();
    expect(response.data.allocateFund.id).toBeTruthy();
  });
});

