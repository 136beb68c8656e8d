/**
 * Writes functions/send/openapi.json, the document of openapi.ts, for readers and the stack's tests.
 * Run by `npm run openapi`, which then formats it as the rest of the repository.
 */
import { writeFileSync } from 'node:fs';
import { openApiDocument } from './openapi.ts';

writeFileSync(new URL('./openapi.json', import.meta.url), `${JSON.stringify(openApiDocument(), null, 2)}\n`);
