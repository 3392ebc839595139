import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, type TestPlatform } from '../support/platform';

/** Every saved question, run as an analyst would open it: with its default variables. */
const OPERATIONS_DIR = join(__dirname, '../../schema/operations');
const files = readdirSync(OPERATIONS_DIR).filter((name) => name.endsWith('.graphql')).sort();

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(() => platform?.stop());

it.each(files)('%s answers through the gateway with data and no errors', async (file) => {
  const response = await platform.query(readFileSync(join(OPERATIONS_DIR, file), 'utf8'));
  expect(response.errors).toBeUndefined();
  expect(response.status).toBe(200);
  for (const [field, value] of Object.entries(response.data ?? {})) {
    expect([field, value === null || (Array.isArray(value) && value.length === 0)]).toEqual([field, false]);
  }
});
