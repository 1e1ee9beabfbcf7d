/**
 * The one Temporal dev server the whole test run shares (started by `test/global-setup.ts`).
 * Integration tests connect with `Connection.connect({ address: temporalAddress() })`.
 */
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port` of the shared dev server's gRPC frontend (namespace `default`). */
    temporalAddress: string;
  }
}

/** Address of the shared dev server; only valid inside a vitest test file. */
export function temporalAddress(): string {
  return inject('temporalAddress');
}
