/**
 * Checks the send function's answers against its OpenAPI document (functions/send/openapi.ts):
 * the route is documented, the status is documented for it, the body is JSON matching the
 * documented schema, required headers are there, and a request that succeeded matched the
 * documented request schema. Schemas are compiled by ajv (JSON Schema 2020-12, as OpenAPI 3.1).
 */

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { openApiDocument } from '../../functions/send/openapi.ts';

const openApi = openApiDocument();

const DOC_ID = 'https://qq-bot.test/openapi.json';

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ ...openApi, $id: DOC_ID });

const compiled = new Map<string, ValidateFunction>();
function validatorAt(pointer: string): ValidateFunction {
  let validate = compiled.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOC_ID}#${pointer}` });
    compiled.set(pointer, validate);
  }
  return validate;
}

const pointerPart = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');

interface ResponseObject {
  $ref?: string;
  headers?: Record<string, { required?: boolean; schema?: unknown }>;
  content?: Record<string, { schema?: unknown }>;
}

interface Operation {
  requestBody?: { content?: Record<string, unknown> };
  responses: Record<string, ResponseObject>;
  security?: unknown[];
}

type PathItem = Record<string, Operation>;
const paths = openApi.paths as unknown as Record<string, PathItem>;

/** Every operation of the document as `METHOD /path`. */
export function documentedRoutes(): string[] {
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** The statuses the document lists for a route (`METHOD /path`). */
export function documentedStatuses(route: string): number[] {
  const operation = operationOf(route);
  return Object.keys(operation?.responses ?? {}).map(Number);
}

/** Whether the route needs the bearer token, by the document. */
export function needsToken(route: string): boolean {
  const security = operationOf(route)?.security ?? openApi.security;
  return security.length > 0;
}

function operationOf(route: string): Operation | undefined {
  const [method = '', path = ''] = route.split(' ');
  return paths[templateOf(path) ?? path]?.[method.toLowerCase()];
}

/** The document's path (`/login/{token}`) a request path (`/login/abc`) is an instance of. */
export function templateOf(path: string): string | undefined {
  if (paths[path]) return path;
  const segments = path.split('/');
  return Object.keys(paths).find((template) => {
    const parts = template.split('/');
    return (
      parts.length === segments.length &&
      parts.every((part, i) => (/^\{\w+\}$/.test(part) ? segments[i] !== '' : part === segments[i]))
    );
  });
}

/**
 * Problems of the document itself: each JSON request body and each documented answer must have a
 * JSON schema that compiles (every `$ref` in it resolves), and every route a 500.
 */
export function documentProblems(): string[] {
  const problems: string[] = [];
  for (const route of documentedRoutes()) {
    const [method = '', path = ''] = route.split(' ');
    if (operationOf(route)?.requestBody?.content?.['application/json']) {
      try {
        validatorAt(
          `/paths/${pointerPart(path)}/${method.toLowerCase()}/requestBody/content/application~1json/schema`,
        );
      } catch (err) {
        problems.push(`${route} request body: ${(err as Error).message}`);
      }
    }
    for (const status of documentedStatuses(route)) {
      const resolved = resolveResponse(
        operationOf(route)?.responses[String(status)],
        `/paths/${pointerPart(path)}/${method.toLowerCase()}/responses/${status}`,
      );
      if (!resolved) {
        problems.push(`${route} ${status}: the response refers to nothing`);
        continue;
      }
      if (resolved.response.content?.['text/html']) continue;
      if (!resolved.response.content?.['application/json']?.schema) {
        problems.push(`${route} ${status}: no application/json schema`);
        continue;
      }
      try {
        validatorAt(`${resolved.pointer}/content/application~1json/schema`);
      } catch (err) {
        problems.push(`${route} ${status}: ${(err as Error).message}`);
      }
    }
    if (!documentedStatuses(route).includes(500)) problems.push(`${route}: no 500`);
  }
  return problems;
}

/** A response object and its JSON pointer, following a `$ref` to components.responses. */
function resolveResponse(
  response: ResponseObject | undefined,
  pointer: string,
): { response: ResponseObject; pointer: string } | undefined {
  if (!response?.$ref) return response && { response, pointer };
  const name = response.$ref.replace('#/components/responses/', '');
  const target = (openApi.components.responses as Record<string, ResponseObject>)[name];
  return target && { response: target, pointer: `/components/responses/${pointerPart(name)}` };
}

export interface Answer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The problems with an answer, or none. */
export function conformanceProblems(event: APIGatewayProxyEventV2, answer: Answer): string[] {
  const method = event.requestContext.http.method;
  const template = templateOf(event.rawPath) ?? event.rawPath;
  const route = `${method} ${template}`;
  const operation = operationOf(route);
  if (!operation) return [`${route} is not in the document`];
  const problems: string[] = [];
  const opPointer = `/paths/${pointerPart(template)}/${method.toLowerCase()}`;

  const resolved = resolveResponse(
    operation.responses[String(answer.statusCode)],
    `${opPointer}/responses/${answer.statusCode}`,
  );
  if (!resolved) return [`${route}: status ${answer.statusCode} is not documented`];
  const { response, pointer: responsePointer } = resolved;

  const headers = Object.fromEntries(Object.entries(answer.headers).map(([k, v]) => [k.toLowerCase(), v]));
  // A page (text/html) is documented as such; everything else is JSON.
  if (response.content?.['text/html']) {
    if (!headers['content-type']?.startsWith('text/html'))
      problems.push(`${route} ${answer.statusCode}: content-type is ${headers['content-type']}`);
    if (!answer.body.trimStart().toLowerCase().startsWith('<!doctype html>'))
      problems.push(`${route} ${answer.statusCode}: body is not an HTML document`);
    return problems;
  }
  if (headers['content-type'] !== 'application/json') {
    problems.push(`${route} ${answer.statusCode}: content-type is ${headers['content-type']}`);
  }
  for (const [name, spec] of Object.entries(response.headers ?? {})) {
    const value = headers[name.toLowerCase()];
    if (value === undefined) {
      if (spec.required) problems.push(`${route} ${answer.statusCode}: header ${name} is missing`);
      continue;
    }
    const validate = validatorAt(`${responsePointer}/headers/${pointerPart(name)}/schema`);
    if (!validate(value))
      problems.push(`${route} ${answer.statusCode}: header ${name}: ${ajv.errorsText(validate.errors)}`);
  }

  if (!response.content?.['application/json']) {
    problems.push(`${route} ${answer.statusCode}: no application/json content documented`);
    return problems;
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return [...problems, `${route} ${answer.statusCode}: body is not JSON`];
  }
  const validate = validatorAt(`${responsePointer}/content/application~1json/schema`);
  if (!validate(body)) {
    problems.push(`${route} ${answer.statusCode}: body ${answer.body}: ${ajv.errorsText(validate.errors)}`);
  }

  if (answer.statusCode < 300 && operation.requestBody) {
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : event.body;
    const type = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
    // A form (OneBot's other body) is checked by its handler; the document describes JSON bodies.
    const isJson = type === undefined || type.startsWith('application/json');
    const validateRequest = validatorAt(`${opPointer}/requestBody/content/application~1json/schema`);
    if (isJson && text !== undefined && text.trim() !== '' && !validateRequest(JSON.parse(text))) {
      problems.push(
        `${route}: an accepted request does not match the document: ${ajv.errorsText(validateRequest.errors)}`,
      );
    }
  }
  return problems;
}

/** Keeps the (route, status) pairs seen, so a test file can check it produced every documented one. */
export class StatusCoverage {
  readonly #seen = new Set<string>();

  record(event: APIGatewayProxyEventV2, statusCode: number): void {
    this.#seen.add(
      `${event.requestContext.http.method} ${templateOf(event.rawPath) ?? event.rawPath} ${statusCode}`,
    );
  }

  /** Documented (route, status) pairs never produced, less those `except`ed (`GET /v1/x 500`). */
  missing(except: readonly string[] = []): string[] {
    return documentedRoutes()
      .flatMap((route) => documentedStatuses(route).map((status) => `${route} ${status}`))
      .filter((pair) => !this.#seen.has(pair) && !except.includes(pair));
  }
}
