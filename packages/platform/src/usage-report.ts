/**
 * The body of the registry's POST /usage (gzip JSON on the wire): what one gateway saw clients
 * do in some minutes. The gateway writes it (gateway/src/usage.ts), the registry reads and checks
 * it (registry/src/usage.ts); neither imports the other, so the shape lives here.
 */
export interface UsageReport {
  variant: string;
  /** Every operation the counts name (or one the registry already knows), with its coordinates. */
  operations: ReportedOperation[];
  counts: ReportedCount[];
}

export interface ReportedOperation {
  /** sha256 hex of `signature`. */
  hash: string;
  name: string | null;
  /** The operation normalised by @apollo/utils.usagereporting (literals stripped, fields sorted). */
  signature: string;
  /** `Type`, `Type.field`, `Type.field.arg`, `Input.field`, `Enum.VALUE`. */
  coordinates: string[];
}

export interface ReportedCount {
  /** The minute's start, ISO 8601. */
  minute: string;
  client: string;
  clientVersion: string;
  hash: string;
  count: number;
  errors: number;
  durationMsSum: number;
}
