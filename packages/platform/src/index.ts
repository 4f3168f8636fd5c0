export * from './compose.js';
export * from './embedded.js';
export * from './subgraphs.js';
export * from './testing.js';
