import { runStandalone } from '@commerce/kit';
import { subgraph } from './index.js';

runStandalone(subgraph);
