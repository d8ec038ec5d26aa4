// s3rver ships no types; the little the tests use.
declare module 's3rver' {
  export default class S3rver {
    constructor(options: object);
    /** Resolves to the address the server listens on. */
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
