import 'reflect-metadata';

export * from './config.js';
export * from './errors.js';
export * from './log.js';
export * from './paths.js';
export * from './principal.js';
export * from './service.js';
export * from './standalone.js';
export * from './db/database.js';
export * from './db/migrations.js';
export * from './db/query-counter.js';
export * from './demo/dataset.js';
export * from './graphql/common-types.js';
export * from './graphql/connection.js';
export * from './graphql/federated-schema.js';
export * from './http/subgraph-server.js';
export * from './db/loaders.js';
