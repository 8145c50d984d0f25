import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** This package's version, from its package.json (which sits one level above dist/). */
export const VERSION: string = (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
