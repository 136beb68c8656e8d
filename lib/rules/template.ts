/**
 * Reply templates: `Hi {sender}, you said {text}` with `{$1}` / `{$name}` for regex captures and
 * `{{` / `}}` for literal braces. Face markers (`/微笑`, `[微笑]`) are left as text: the SmartQQ
 * client turns them into faces when it sends.
 */

export const TEMPLATE_VARIABLES = {
  sender: "the sender's name as shown in the chat (group card, else markname, else nick)",
  nick: "the sender's nick",
  chat: 'the chat: the friend (markname or nick), the group or the discussion name',
  group: 'the group or discussion name (empty in a friend chat)',
  text: 'the message text (without the @-mention of the bot)',
  bot: "the bot's own nick",
} as const;

export type TemplateVariable = keyof typeof TEMPLATE_VARIABLES;
export type TemplateValues = Readonly<Record<TemplateVariable, string>>;

type Piece = { readonly literal: string } | { readonly variable: string } | { readonly capture: string };

const TOKEN = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;

/** Splits a template into pieces, or says what is wrong with it. */
function parse(template: string): Piece[] | string {
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of template.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    if (index > last) pieces.push({ literal: template.slice(last, index) });
    last = index + match[0].length;
    if (match[0] === '{{') pieces.push({ literal: '{' });
    else if (match[0] === '}}') pieces.push({ literal: '}' });
    else if (match[1] === undefined)
      return `has an unmatched "${match[0]}" (write {{ or }} for a literal brace)`;
    else {
      const name = match[1].trim();
      pieces.push(name.startsWith('$') ? { capture: name.slice(1) } : { variable: name });
    }
  }
  if (last < template.length) pieces.push({ literal: template.slice(last) });
  return pieces;
}

/** What is wrong with a template, given the capture names its rule's regex offers (none for other kinds). */
export function templateProblems(template: string, captures: ReadonlySet<string>): string[] {
  const pieces = parse(template);
  if (typeof pieces === 'string') return [pieces];
  const problems: string[] = [];
  for (const piece of pieces) {
    if ('variable' in piece && !(piece.variable in TEMPLATE_VARIABLES)) {
      problems.push(
        `uses unknown variable {${piece.variable}} (known: ${Object.keys(TEMPLATE_VARIABLES).join(', ')})`,
      );
    }
    if ('capture' in piece && !captures.has(piece.capture)) {
      problems.push(
        captures.size === 0
          ? `uses {$${piece.capture}} but only regex rules have captures`
          : `uses {$${piece.capture}} but the regex has no such group`,
      );
    }
  }
  return problems;
}

/** A template parsed once, to be rendered for many messages. */
export interface CompiledTemplate {
  readonly pieces: readonly Piece[];
  /** Whether it uses regex captures (so the matcher must extract them). */
  readonly usesCaptures: boolean;
}

/** Parses a template that passed `templateProblems`. */
export function compileTemplate(template: string): CompiledTemplate {
  const pieces = parse(template);
  if (typeof pieces === 'string') throw new Error(`template ${pieces}`);
  return { pieces, usesCaptures: pieces.some((p) => 'capture' in p) };
}

/** Renders a template. A capture that did not take part in the match renders as empty text. */
export function renderTemplate(
  template: string | CompiledTemplate,
  values: TemplateValues,
  captures: Readonly<Record<string, string | undefined>> = {},
): string {
  const { pieces } = typeof template === 'string' ? compileTemplate(template) : template;
  return pieces
    .map((piece) => {
      if ('literal' in piece) return piece.literal;
      if ('capture' in piece) return captures[piece.capture] ?? '';
      return values[piece.variable as TemplateVariable] ?? '';
    })
    .join('');
}
