/** `npm run bench`: every benchmark of the project, one after the other. */
import { runRulesBench } from './rules-match.ts';

runRulesBench();
