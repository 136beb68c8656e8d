export * from './matcher.ts';
export * from './message.ts';
export * from './model.ts';
export * from './reply-plan.ts';
export * from './rule-cache.ts';
export * from './stored-number.ts';
export * from './template.ts';
