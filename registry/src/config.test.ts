import { ConfigError } from '@zigong/platform';
import { loadRegistryConfig } from './config';

const STRONG = 'f3b9c1e07a5d4e2b8c6a9f0d1e2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const KEY = '9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c';
const PRODUCTION = {
  REGISTRY_MODE: 'production',
  DATABASE_URL: 'postgres://registry:0c1e5f2a9b8d7c6e3f4a5b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e@db/zigong',
  JWT_SECRET: STRONG,
  JWT_ISSUER: 'https://idp.example/',
  JWT_AUDIENCE: 'zigong',
  SUPERGRAPH_KEYS: KEY,
};

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadRegistryConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadRegistryConfig', () => {
  it('reads the defaults of the shared decisions', () => {
    const config = loadRegistryConfig({ REGISTRY_MODE: 'local', DATABASE_URL: 'postgres://postgres@127.0.0.1/zigong' });
    expect(config).toMatchObject({
      mode: 'local',
      port: 4010,
      host: '127.0.0.1',
      variants: ['production', 'staging'],
      contractVariants: ['production'],
      supergraphKeys: [],
      maxSdlBytes: 2 * 1024 * 1024,
      maxUsageBytes: 4 * 1024 * 1024,
      usageRetentionSeconds: 400 * 86_400,
      publicMetrics: true,
    });
    expect(config.contractPath).toMatch(/schema\/contract\.graphql$/);
    expect(config.operationsDir).toMatch(/schema\/operations$/);
    expect(config.bodyLimitBytes).toBeGreaterThan(config.maxSdlBytes);
    expect(config.tokens.jwtSecret).toBeDefined();
  });

  it('accepts a production configuration with its own secrets', () => {
    const config = loadRegistryConfig(PRODUCTION);
    expect(config).toMatchObject({ mode: 'production', host: '0.0.0.0', supergraphKeys: [KEY], publicMetrics: false });
  });

  it('names every problem of a bare production start at once', () => {
    const found = problems({});
    expect(found).toEqual(
      expect.arrayContaining([
        'DATABASE_URL is required but not set.',
        'REGISTRY_MODE=production needs JWKS_URL or JWT_SECRET.',
        expect.stringMatching(/needs JWT_ISSUER/),
        expect.stringMatching(/needs JWT_AUDIENCE/),
        expect.stringMatching(/needs SUPERGRAPH_KEYS/),
        expect.stringMatching(/REGISTRY_MODE is not set/),
      ]),
    );
  });

  it('refuses published, weak and reused secrets in production', () => {
    expect(problems({ ...PRODUCTION, JWT_SECRET: 'zigong-local-development-secret-not-for-production' })).toEqual([expect.stringMatching(/^JWT_SECRET is a published example value/)]);
    expect(problems({ ...PRODUCTION, SUPERGRAPH_KEYS: 'short' })).toEqual([expect.stringMatching(/^SUPERGRAPH_KEYS \(key 1\) must be at least 32 bytes/)]);
    expect(problems({ ...PRODUCTION, SUPERGRAPH_KEYS: `${KEY},passwordpasswordpasswordpassword1` })).toEqual([expect.stringMatching(/^SUPERGRAPH_KEYS \(key 2\) is too easy to guess/)]);
    expect(problems({ ...PRODUCTION, SUPERGRAPH_KEYS: STRONG })).toEqual(['SUPERGRAPH_KEYS (key 1) is the same value as JWT_SECRET; each role needs a secret of its own.']);
  });

  it('refuses bad variants and limits', () => {
    expect(problems({ REGISTRY_MODE: 'local', DATABASE_URL: 'postgres://x@h/d', REGISTRY_VARIANTS: 'production,Bad Name', CONTRACT_VARIANTS: 'qa', REGISTRY_MAX_SDL_BYTES: '10' })).toEqual([
      'REGISTRY_MAX_SDL_BYTES must be a whole number from 1024 to 67108864, got "10".',
      expect.stringMatching(/^REGISTRY_VARIANTS: "Bad Name" is not a variant name/),
      'CONTRACT_VARIANTS names "qa", which is not in REGISTRY_VARIANTS (production, Bad Name).',
    ]);
  });

  it('reads the usage settings, and refuses a retention shorter than a day and a report limit under 1 kB', () => {
    const local = { REGISTRY_MODE: 'local', DATABASE_URL: 'postgres://x@h/d' };
    expect(loadRegistryConfig({ ...local, REGISTRY_USAGE_RETENTION: '90d', REGISTRY_MAX_USAGE_BYTES: '65536' })).toMatchObject({
      usageRetentionSeconds: 90 * 86_400,
      maxUsageBytes: 65_536,
    });
    expect(problems({ ...local, REGISTRY_USAGE_RETENTION: '12h', REGISTRY_MAX_USAGE_BYTES: '10' })).toEqual([
      'REGISTRY_MAX_USAGE_BYTES must be a whole number from 1024 to 268435456, got "10".',
      expect.stringMatching(/^REGISTRY_USAGE_RETENTION must be a duration from 86400 s/),
    ]);
  });
});
