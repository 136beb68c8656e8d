import { describe, expect, it } from 'vitest';
import { renderTemplate, TEMPLATE_VARIABLES, templateProblems } from '../../../lib/rules/template.ts';

const values = {
  sender: 'Trail Boss',
  nick: 'Alice',
  chat: 'Hiking Club',
  group: 'Hiking Club',
  text: 'hi',
  bot: 'DemoBot',
};

describe('templates', () => {
  it('renders every variable', () => {
    const template = Object.keys(TEMPLATE_VARIABLES)
      .map((v) => `${v}={${v}}`)
      .join(';');
    expect(renderTemplate(template, values)).toBe(
      'sender=Trail Boss;nick=Alice;chat=Hiking Club;group=Hiking Club;text=hi;bot=DemoBot',
    );
  });

  it('renders captures, empty for a group that did not take part, and literal braces', () => {
    expect(renderTemplate('{$1}-{$city}-{$2}-{{ok}}', values, { '1': 'a', city: 'b' })).toBe('a-b--{ok}');
  });

  it('leaves face markers as text for the client to turn into faces', () => {
    expect(renderTemplate('/微笑 [呲牙] {nick}', values)).toBe('/微笑 [呲牙] Alice');
  });

  it('lists every problem', () => {
    expect(templateProblems('{a} {b} {$1}', new Set())).toHaveLength(3);
    expect(templateProblems('ok }', new Set())).toEqual([expect.stringMatching(/unmatched "\}"/)]);
    expect(templateProblems('{ sender }', new Set())).toEqual([]);
  });
});
