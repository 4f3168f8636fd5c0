import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { DEFAULT_PORTS, type SubgraphName, defined } from '@commerce/kit';
import { parse } from 'graphql';
import { SUBGRAPHS } from './subgraphs.js';

export interface Composition {
  supergraphSdl: string;
  subgraphSdl: Record<string, string>;
}

/** The URL each subgraph has in the committed supergraph; deployments override it per subgraph. */
export function defaultSubgraphUrl(name: string): string {
  return `http://localhost:${DEFAULT_PORTS[name as SubgraphName]}/graphql`;
}

/** Composes the supergraph from the subgraphs' own schemas, as Rover would, with @apollo/composition. */
export async function composeSupergraph(): Promise<Composition> {
  const subgraphSdl: Record<string, string> = {};
  for (const definition of SUBGRAPHS) subgraphSdl[definition.name] = printSubgraphSchema(await definition.buildSchema());
  const result = composeServices(
    SUBGRAPHS.map((definition) => ({
      name: definition.name,
      url: defaultSubgraphUrl(definition.name),
      typeDefs: parse(defined(subgraphSdl[definition.name], `the SDL of ${definition.name}`)),
    })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((error) => `- ${error.message}`).join('\n')}`);
  }
  return { supergraphSdl: result.supergraphSdl, subgraphSdl };
}
