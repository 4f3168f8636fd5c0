import 'reflect-metadata';
import { Arg, Field, InputType, Mutation, Query, Resolver } from 'type-graphql';
import { forbidden } from '../../src/errors.js';
import { buildFederatedSchema } from '../../src/graphql/federated-schema.js';
import type { SubgraphDefinition, SubgraphInstance } from '../../src/service.js';

@InputType()
class CardInput {
  @Field(() => String)
  cardNumber!: string;

  @Field(() => String)
  holder!: string;
}

@Resolver()
class ProbeResolver {
  @Query(() => String)
  hello(): string {
    return 'hello';
  }

  @Query(() => String)
  forbiddenField(): string {
    throw forbidden();
  }

  @Mutation(() => Boolean)
  pay(@Arg('password', () => String) _password: string, @Arg('card', () => CardInput) _card: CardInput): boolean {
    throw new Error('the payment database is down');
  }
}

/** A subgraph with a query that works, one that is forbidden and a mutation that fails unexpectedly. */
export function probeSubgraph(extra: Partial<SubgraphInstance> = {}): SubgraphDefinition {
  return {
    name: 'probe',
    defaultPort: 0,
    buildSchema: () => buildFederatedSchema([ProbeResolver]),
    async create() {
      return {
        createContext: (principal) => ({ principal }),
        seed: async () => {},
        isEmpty: async () => false,
        queries: { count: 0, reset: () => {} },
        close: async () => {},
        ...extra,
      };
    },
  };
}
