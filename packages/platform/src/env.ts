/**
 * Typed reading of environment variables. Every problem is collected and reported together, so
 * an operator fixes a bad deployment in one round instead of one variable at a time.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };
/** The one wording of a too-short secret, so that EnvReader can tell the same problem found twice. */
export const secretLengthProblem = (name: string, minBytes: number) => `${name} must be at least ${minBytes} bytes long.`;

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  string(name: string, fallback?: string): string {
    const value = this.env[name]?.trim();
    if (value) return value;
    if (fallback === undefined) {
      this.problems.push(`${name} is required but not set.`);
      return '';
    }
    return fallback;
  }

  optional(name: string): string | undefined {
    return this.env[name]?.trim() || undefined;
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}".`);
      return fallback;
    }
    return value;
  }

  /** Seconds, written as a whole number of seconds or with a unit: `90`, `90s`, `15m`, `24h`, `7d`. */
  durationSeconds(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const match = /^(\d+)\s*(s|m|h|d)?$/i.exec(raw);
    const value = match ? Number(match[1]) * DURATION_UNITS[(match[2] ?? 's').toLowerCase()] : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be a duration from ${min} s to ${max} s, written as seconds or with s, m, h or d (e.g. 24h), got "${raw}".`);
      return fallback;
    }
    return value;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, { min: 0, max: 65535 });
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false, got "${raw}".`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}".`);
      return fallback;
    }
    return raw as T;
  }

  url(name: string, protocols: readonly string[], fallback?: string): string {
    const value = fallback === undefined ? this.string(name) : this.string(name, fallback);
    if (!value) return value;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must be a ${protocols.join(' or ')} URL, got "${parsed.protocol}".`);
      }
    } catch {
      this.problems.push(`${name} is not a valid URL.`);
    }
    return value;
  }

  /** An optional URL, checked like `url` when it is set. */
  optionalUrl(name: string, protocols: readonly string[]): string | undefined {
    return this.optional(name) === undefined ? undefined : this.url(name, protocols);
  }

  /** An optional secret; short ones are refused because they can be guessed. */
  secret(name: string, minBytes = 32): string | undefined {
    const value = this.optional(name);
    if (value !== undefined && Buffer.byteLength(value) < minBytes) {
      this.problem(secretLengthProblem(name, minBytes));
    }
    return value;
  }

  /** Records a problem found by the caller (a rule across variables), to be reported with the rest. */
  problem(message: string): void {
    // A rule checked twice (a secret's length, by `secret` and by productionSecretProblems) is reported once.
    if (!this.problems.includes(message)) this.problems.push(message);
  }

  /** Throws one ConfigError listing everything that was wrong. */
  done(): void {
    if (this.problems.length) throw new ConfigError(this.problems);
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const POSTGRES_PROTOCOLS = ['postgres:', 'postgresql:'] as const;
