/** The proto-loader-gen-types flags gen-types.js uses (the loader options they stand for). */
export declare const FLAGS: {
  readonly keepCase: boolean;
  readonly longs: 'Number' | 'String';
  readonly enums: 'String';
  readonly defaults: boolean;
  readonly oneofs: boolean;
};
/** Where `pnpm proto:gen` writes the committed types (proto/src/generated). */
export declare const GENERATED_DIR: string;
/** Generates the types of every quorumlock .proto into `outDir` (emptied first). */
export declare function generate(outDir: string): void;
